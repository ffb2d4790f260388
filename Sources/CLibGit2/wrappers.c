#include "shim.h"
#include "lazy.h"

#define OPTS sluice_resolved_git_libgit2_opts()

int sluice_git_set_mwindow_size(size_t size) { return OPTS(GIT_OPT_SET_MWINDOW_SIZE, size); }
int sluice_git_set_mwindow_mapped_limit(size_t size) { return OPTS(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, size); }
int sluice_git_set_mwindow_file_limit(size_t count) { return OPTS(GIT_OPT_SET_MWINDOW_FILE_LIMIT, count); }
int sluice_git_set_cache_max_size(ssize_t size) { return OPTS(GIT_OPT_SET_CACHE_MAX_SIZE, size); }
int sluice_git_enable_strict_hash_verification(int enabled) { return OPTS(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled); }
int sluice_git_set_owner_validation(int enabled) { return OPTS(GIT_OPT_SET_OWNER_VALIDATION, enabled); }
int sluice_git_set_search_path_empty(int level) { return OPTS(GIT_OPT_SET_SEARCH_PATH, level, ""); }
