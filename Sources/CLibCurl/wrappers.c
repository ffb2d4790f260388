#include "shim.h"
#include "lazy.h"

#define SETOPT sluice_resolved_curl_easy_setopt()
#define GETINFO sluice_resolved_curl_easy_getinfo()
#define MULTI_SETOPT sluice_resolved_curl_multi_setopt()

CURLcode sluice_curl_setopt_long(CURL *h, CURLoption o, long v) { return SETOPT(h, o, v); }
CURLcode sluice_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return SETOPT(h, o, v); }
CURLcode sluice_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return SETOPT(h, o, v); }
CURLcode sluice_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return SETOPT(h, o, v); }
CURLcode sluice_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return SETOPT(h, o, v); }
CURLcode sluice_curl_setopt_write_callback(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) {
    return SETOPT(h, CURLOPT_WRITEFUNCTION, cb);
}
CURLcode sluice_curl_setopt_read_callback(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) {
    return SETOPT(h, CURLOPT_READFUNCTION, cb);
}
CURLcode sluice_curl_setopt_header_callback(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) {
    return SETOPT(h, CURLOPT_HEADERFUNCTION, cb);
}
CURLcode sluice_curl_setopt_xferinfo_callback(CURL *h, int (*cb)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t)) {
    return SETOPT(h, CURLOPT_XFERINFOFUNCTION, cb);
}
CURLcode sluice_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return GETINFO(h, i, v); }
CURLcode sluice_curl_getinfo_string(CURL *h, CURLINFO i, char **v) { return GETINFO(h, i, v); }
CURLcode sluice_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return GETINFO(h, i, v); }
CURLMcode sluice_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return MULTI_SETOPT(m, o, v); }

CURLcode sluice_curl_setopt_blob(CURL *h, CURLoption o, const void *data, size_t length) {
    struct curl_blob blob;
    blob.data = (void *)data;
    blob.len = length;
    blob.flags = CURL_BLOB_COPY;
    return SETOPT(h, o, &blob);
}
CURLMcode sluice_curl_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v) { return MULTI_SETOPT(m, o, v); }

CURLcode sluice_curl_getinfo_certinfo(CURL *h, struct curl_certinfo **v) { return GETINFO(h, CURLINFO_CERTINFO, v); }
