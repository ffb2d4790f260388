#include "CDynamicLibrary.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

/* Ends the process as the dynamic loader does when a library it needs is missing. */
static void sluice_dynamic_library_fail(const char *message, const char *soname, const char *detail) {
    fprintf(stderr, "sluice: %s %s: %s\n", message, soname, detail ? detail : "unknown error");
    fflush(stderr);
    _exit(127);
}

void *sluice_dynamic_library_open(sluice_dynamic_library *library) {
    void *handle = __atomic_load_n(&library->handle, __ATOMIC_ACQUIRE);
    if (handle != NULL) return handle;
    pthread_mutex_lock(&library->lock);
    handle = library->handle;
    if (handle == NULL) {
        /* Lazy binding inside the library, as at exec; its symbols stay out of the global scope. */
        handle = dlopen(library->soname, RTLD_LAZY | RTLD_LOCAL);
        if (handle == NULL) sluice_dynamic_library_fail("cannot load the shared library", library->soname, dlerror());
        __atomic_store_n(&library->handle, handle, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&library->lock);
    return handle;
}

void *sluice_dynamic_library_symbol(sluice_dynamic_library *library, const char *name) {
    void *handle = sluice_dynamic_library_open(library);
    void *function = dlsym(handle, name);
    if (function == NULL) sluice_dynamic_library_fail("a function is missing from the shared library", library->soname, name);
    return function;
}
