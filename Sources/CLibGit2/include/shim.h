#ifndef SLUICE_CLIBGIT2_SHIM_H
#define SLUICE_CLIBGIT2_SHIM_H

#include <git2.h>
#include <git2/sys/transport.h>
#include <git2/sys/credential.h>
#include <git2/sys/remote.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netdb.h>

/* git_libgit2_opts is variadic and cannot be called from Swift; these typed wrappers
   (wrappers.c) can. */
int sluice_git_set_mwindow_size(size_t size);
int sluice_git_set_mwindow_mapped_limit(size_t size);
int sluice_git_set_mwindow_file_limit(size_t count);
int sluice_git_set_cache_max_size(ssize_t size);
int sluice_git_enable_strict_hash_verification(int enabled);
int sluice_git_set_owner_validation(int enabled);
int sluice_git_set_search_path_empty(int level);

/* A subtransport and a stream with a pointer back to the Swift object that implements them:
   libgit2 hands back only the embedded struct, so it must be the first member. */
typedef struct {
    git_smart_subtransport parent;
    git_transport *owner;
    void *context;
} sluice_subtransport;

typedef struct {
    git_smart_subtransport_stream parent;
    void *context;
} sluice_subtransport_stream;

static inline int sluice_git_error_set(int klass, const char *message) {
    return git_error_set_str(klass, message);
}

#endif
