#include "http/web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zlib.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define FILE_MAX (1024 * 1024)

static const struct {
    const char *path, *file, *ctype;
} files[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/app.css", "app.css", "text/css; charset=utf-8"},
    {"/js/app.js", "js/app.js", "text/javascript; charset=utf-8"},
    {"/js/dom.js", "js/dom.js", "text/javascript; charset=utf-8"},
    {"/js/i18n.js", "js/i18n.js", "text/javascript; charset=utf-8"},
    {"/js/api.js", "js/api.js", "text/javascript; charset=utf-8"},
    {"/js/chart.js", "js/chart.js", "text/javascript; charset=utf-8"},
    {"/js/public.js", "js/public.js", "text/javascript; charset=utf-8"},
    {"/js/account.js", "js/account.js", "text/javascript; charset=utf-8"},
    {"/js/records.js", "js/records.js", "text/javascript; charset=utf-8"},
    {"/js/consents.js", "js/consents.js", "text/javascript; charset=utf-8"},
    {"/js/audit_words.js", "js/audit_words.js", "text/javascript; charset=utf-8"},
    {"/js/apps.js", "js/apps.js", "text/javascript; charset=utf-8"},
    {"/js/mydata.js", "js/mydata.js", "text/javascript; charset=utf-8"},
    {"/js/text.js", "js/text.js", "text/javascript; charset=utf-8"},
    {"/js/staff.js", "js/staff.js", "text/javascript; charset=utf-8"},
    {"/js/organisations.js", "js/organisations.js", "text/javascript; charset=utf-8"},
    {"/js/manifest.js", "js/manifest.js", "text/javascript; charset=utf-8"},
    {"/js/policy_admin.js", "js/policy_admin.js", "text/javascript; charset=utf-8"},
    {"/js/anonymised_admin.js", "js/anonymised_admin.js", "text/javascript; charset=utf-8"},
    {"/js/security.js", "js/security.js", "text/javascript; charset=utf-8"},
    {"/js/details.js", "js/details.js", "text/javascript; charset=utf-8"},
    {"/js/checkups.js", "js/checkups.js", "text/javascript; charset=utf-8"},
    {"/js/checkup_entry.js", "js/checkup_entry.js", "text/javascript; charset=utf-8"},
    {"/js/time.js", "js/time.js", "text/javascript; charset=utf-8"},
    {"/js/errors.js", "js/errors.js", "text/javascript; charset=utf-8"},
    {"/js/observation.js", "js/observation.js", "text/javascript; charset=utf-8"},
    {"/js/checksheet.js", "js/checksheet.js", "text/javascript; charset=utf-8"},
    {"/js/dashboard.js", "js/dashboard.js", "text/javascript; charset=utf-8"},
    {"/js/qr.js", "js/qr.js", "text/javascript; charset=utf-8"},
};
#define NFILES (sizeof files / sizeof files[0])

struct web {
    struct buf body[NFILES], gz[NFILES];
    char etag[NFILES][36];
};

/* The file gzipped (RFC 1952), at the best level: made once, sent often. */
static int gzip_of(const struct buf *in, struct buf *out)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return PHR_ENOMEM;
    uLong bound = deflateBound(&z, (uLong)in->len);
    int err = buf_reserve(out, (size_t)bound) ? PHR_ENOMEM : PHR_OK;
    if (!err) {
        z.next_in = (Bytef *)(in->data ? in->data : "");
        z.avail_in = (uInt)in->len;
        z.next_out = (Bytef *)out->data;
        z.avail_out = (uInt)bound;
        err = deflate(&z, Z_FINISH) == Z_STREAM_END ? PHR_OK : PHR_EIO;
        out->len = bound - z.avail_out;
    }
    deflateEnd(&z);
    return err;
}

/* "<first 16 bytes of the SHA-256, hex>", quoted as an ETag is. */
static void etag_of(const struct buf *in, char out[36])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)(in->data ? in->data : ""), in->len);
    out[0] = '"';
    sodium_bin2hex(out + 1, 33, h, 16);
    out[33] = '"';
    out[34] = '\0';
}

static int read_all(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return PHR_ENOTFOUND;
    char chunk[8192];
    size_t n;
    int err = PHR_OK;
    while (!err && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (out->len + n > FILE_MAX || buf_append(out, chunk, n))
            err = PHR_EIO;
    if (ferror(f))
        err = PHR_EIO;
    fclose(f);
    return err;
}

int web_load(const char *dir, struct web **out)
{
    *out = NULL;
    struct web *w = calloc(1, sizeof *w);
    if (!w)
        return PHR_ENOMEM;
    for (size_t i = 0; i < NFILES; i++) {
        struct buf path = {0};
        int err = buf_printf(&path, "%s/%s", dir, files[i].file) ? PHR_ENOMEM : read_all(path.data, &w->body[i]);
        if (!err)
            err = gzip_of(&w->body[i], &w->gz[i]);
        if (!err)
            etag_of(&w->body[i], w->etag[i]);
        if (err)
            log_event(LOG_ERROR, "web.load", "file", path.len ? path.data : files[i].file, "error", phr_strerror(err),
                      "hint", "give the portal's directory with --web", NULL);
        buf_free(&path);
        if (err) {
            web_free(w);
            return err;
        }
    }
    *out = w;
    return PHR_OK;
}

void web_free(struct web *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < NFILES; i++) {
        buf_free(&w->body[i]);
        buf_free(&w->gz[i]);
    }
    free(w);
}

int web_find(const struct web *w, const char *path, struct web_file *out)
{
    for (size_t i = 0; w && i < NFILES; i++)
        if (!strcmp(path, files[i].path)) {
            *out = (struct web_file){.body = w->body[i].data ? w->body[i].data : "", .len = w->body[i].len,
                                     .gz = w->gz[i].data, .gz_len = w->gz[i].len, .ctype = files[i].ctype,
                                     .etag = w->etag[i]};
            return 0;
        }
    return -1;
}
