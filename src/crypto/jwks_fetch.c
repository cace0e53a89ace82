#include "crypto/jwks_fetch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "util/buf.h"
#include "util/urls.h"

#define FETCH_SECONDS 5L

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int curl_ready;

static void curl_start(void)
{
    curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static size_t take(char *data, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t len = size * n;
    /* Past the limit: 0 stops the transfer. */
    if (b->len + len > JWKS_FETCH_MAX || buf_append(b, data, len))
        return 0;
    return len;
}

int jwks_fetch(const char *url, char **out, char *why, size_t why_size)
{
    *out = NULL;
    if (!url_acceptable(url, strlen(url), 0)) {
        snprintf(why, why_size, "the registered JWKS URL is not https (or http on this machine)");
        return -1;
    }
    pthread_once(&once, curl_start);
    CURL *c = curl_ready ? curl_easy_init() : NULL;
    if (!c) {
        snprintf(why, why_size, "keys cannot be fetched now");
        return -1;
    }
    struct buf body;
    buf_init(&body);
    long status = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, FETCH_SECONDS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE, (long)JWKS_FETCH_MAX);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || status != 200 || !body.len) {
        snprintf(why, why_size, "the registered JWKS URL could not be read (%s)",
                 rc != CURLE_OK ? curl_easy_strerror(rc) : "no 200 answer with a body");
        buf_free(&body);
        return -1;
    }
    *out = strdup(buf_cstr(&body));
    buf_free(&body);
    if (!*out) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    return 0;
}
