#ifndef SLUICE_CLIBCURL_SHIM_H
#define SLUICE_CLIBCURL_SHIM_H

#include <curl/curl.h>

/* curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic; Swift calls these typed
   wrappers instead (wrappers.c). */
CURLcode sluice_curl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode sluice_curl_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode sluice_curl_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode sluice_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode sluice_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode sluice_curl_setopt_write_callback(CURL *h, size_t (*cb)(char *, size_t, size_t, void *));
CURLcode sluice_curl_setopt_read_callback(CURL *h, size_t (*cb)(char *, size_t, size_t, void *));
CURLcode sluice_curl_setopt_header_callback(CURL *h, size_t (*cb)(char *, size_t, size_t, void *));
CURLcode sluice_curl_setopt_xferinfo_callback(CURL *h, int (*cb)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t));
CURLcode sluice_curl_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLcode sluice_curl_getinfo_string(CURL *h, CURLINFO i, char **v);
CURLcode sluice_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v);
CURLMcode sluice_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v);
/* A blob option, copied by libcurl. */
CURLcode sluice_curl_setopt_blob(CURL *h, CURLoption o, const void *data, size_t length);
CURLMcode sluice_curl_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v);
CURLcode sluice_curl_getinfo_certinfo(CURL *h, struct curl_certinfo **v);

static inline long sluice_curlpipe_multiplex(void) { return (long)CURLPIPE_MULTIPLEX; }
static inline long sluice_curlauth_basic(void) { return (long)CURLAUTH_BASIC; }
static inline long sluice_curlauth_bearer(void) { return (long)CURLAUTH_BEARER; }
static inline long sluice_curl_global_init(void) { return (long)curl_global_init(CURL_GLOBAL_DEFAULT); }

/* A write callback's answer that pauses the transfer, and the call that resumes it. */
static inline size_t sluice_curl_writefunc_pause(void) { return (size_t)CURL_WRITEFUNC_PAUSE; }
static inline CURLcode sluice_curl_unpause(CURL *h) { return curl_easy_pause(h, CURLPAUSE_CONT); }

#endif
