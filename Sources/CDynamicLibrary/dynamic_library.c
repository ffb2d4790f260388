#include "CDynamicLibrary.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

static void sluice_dynamic_library_fail(const char *what, const char *soname) {
    const char *reason = dlerror();
    fprintf(stderr, "sluice: %s %s: %s\n", what, soname, reason ? reason : "unknown error");
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
        if (handle == NULL) sluice_dynamic_library_fail("cannot load the shared library", library->soname);
        __atomic_store_n(&library->handle, handle, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&library->lock);
    return handle;
}

void *sluice_dynamic_library_symbol(sluice_dynamic_library *library, const char *name) {
    void *handle = sluice_dynamic_library_open(library);
    void *function = dlsym(handle, name);
    if (function == NULL) {
        fprintf(stderr, "sluice: the shared library %s has no function %s\n", library->soname, name);
        fflush(stderr);
        _exit(127);
    }
    return function;
}
