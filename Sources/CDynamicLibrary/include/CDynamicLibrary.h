#ifndef SLUICE_CDYNAMICLIBRARY_H
#define SLUICE_CDYNAMICLIBRARY_H

#include <pthread.h>
#include <stddef.h>

/* A shared library opened on first use (dlopen) instead of by the dynamic loader at exec.

   libcurl and libgit2 bring about 40 libraries with them (OpenSSL, GnuTLS, Kerberos, LDAP, mbed TLS,
   libssh2, ...); mapping them and running their constructors is most of what a process spends
   before main. CLibCurl and CLibGit2 define each function Sluice calls as a trampoline that resolves
   the real one here, once, so a command can load the libraries on a thread of its own while it
   parses its command line, and a command that needs neither (`sluice local-cluster`) never maps
   them. A library that cannot be opened, or lacks a function, ends the process with exit status
   127 and the loader's reason on stderr, as the dynamic loader does at exec. */
typedef struct sluice_dynamic_library {
    const char *soname;
    pthread_mutex_t lock;
    void *handle;
} sluice_dynamic_library;

#define SLUICE_DYNAMIC_LIBRARY(soname) { (soname), PTHREAD_MUTEX_INITIALIZER, NULL }

/* Opens the library if it is not open yet, and returns its handle. */
void *sluice_dynamic_library_open(sluice_dynamic_library *library);

/* The address of the library's function `name`, opening the library first. */
void *sluice_dynamic_library_symbol(sluice_dynamic_library *library, const char *name);

/* A trampoline's resolved function: `slot` caches it after the first call. */
static inline void *sluice_dynamic_library_resolve(sluice_dynamic_library *library, const char *name, void **slot) {
    void *function = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (__builtin_expect(function == NULL, 0)) {
        function = sluice_dynamic_library_symbol(library, name);
        __atomic_store_n(slot, function, __ATOMIC_RELEASE);
    }
    return function;
}

#endif
