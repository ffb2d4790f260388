/* glibc's allocator settings (mallopt, malloc_trim), which the Glibc module does not export. */
#ifndef SLUICE_CMALLOC_SHIM_H
#define SLUICE_CMALLOC_SHIM_H
#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#define SLUICE_HAS_GLIBC_MALLOC 1
/* M_ARENA_MAX as a typed constant. */
static inline int sluice_malloc_limit_arenas(int count) { return mallopt(M_ARENA_MAX, count); }
static inline int sluice_malloc_trim(void) { return malloc_trim(0); }
#else
static inline int sluice_malloc_limit_arenas(int count) { (void)count; return 0; }
static inline int sluice_malloc_trim(void) { return 0; }
#endif
#endif
