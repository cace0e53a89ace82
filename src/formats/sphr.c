#include "formats/sphr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zip.h>

#include "util/clock.h"
#include "util/ids.h"

/* The index: Composition, DocumentManifest, then a DocumentReference per
 * part, one resource per line. */
static int index_of(const char *person, int64_t at, const struct sphr_part *parts, size_t n, struct buf *b)
{
    char when[32], manifest[ID_LEN + 1], composition[ID_LEN + 1];
    clock_format_ms(at, when);
    id_uuid7(manifest);
    id_uuid7(composition);
    char (*ids)[ID_LEN + 1] = calloc(n ? n : 1, sizeof *ids);
    if (!ids)
        return -1;
    for (size_t i = 0; i < n; i++)
        id_uuid7(ids[i]);
    int e = buf_printf(b, "{\"resourceType\":\"Composition\",\"id\":\"%s\",\"status\":\"final\",\"type\":{\"text\":"
                          "\"PHR package\"},\"subject\":{\"reference\":\"Patient/%s\"},\"date\":\"%s\",\"author\":"
                          "[{\"display\":\"phr\"}],\"title\":\"PHR データ一式 / PHR package\",\"section\":[{\"title\":"
                          "\"files\",\"entry\":[",
                       composition, person, when);
    for (size_t i = 0; !e && i < n; i++)
        e = buf_printf(b, "%s{\"reference\":\"DocumentReference/%s\"}", i ? "," : "", ids[i]);
    e = e || buf_printf(b, "]}]}\n{\"resourceType\":\"DocumentManifest\",\"id\":\"%s\",\"status\":\"current\","
                           "\"subject\":{\"reference\":\"Patient/%s\"},\"created\":\"%s\",\"content\":[",
                        manifest, person, when);
    for (size_t i = 0; !e && i < n; i++)
        e = buf_printf(b, "%s{\"reference\":\"DocumentReference/%s\"}", i ? "," : "", ids[i]);
    e = e || buf_puts(b, "]}\n");
    for (size_t i = 0; !e && i < n; i++) {
        unsigned char digest[32];
        char hex[65];
        crypto_hash_sha256(digest, (const unsigned char *)parts[i].data, parts[i].len);
        sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
        e = buf_printf(b, "{\"resourceType\":\"DocumentReference\",\"id\":\"%s\",\"status\":\"current\","
                          "\"subject\":{\"reference\":\"Patient/%s\"},\"date\":\"%s\",\"content\":[{\"attachment\":"
                          "{\"contentType\":",
                       ids[i], person, when) ||
            buf_json_str(b, parts[i].content_type) || buf_puts(b, ",\"url\":") || buf_json_str(b, parts[i].path) ||
            buf_printf(b, ",\"size\":%zu,\"title\":", parts[i].len) || buf_json_str(b, parts[i].title) ||
            buf_printf(b, ",\"extension\":[{\"url\":\"urn:phr:sha256\",\"valueString\":\"%s\"}]}}]}\n", hex);
    }
    free(ids);
    return e;
}

int sphr_package(const char *person_id, int64_t created_at, const struct sphr_part *parts, size_t n,
                 struct buf *zip)
{
    struct buf index = {0};
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = NULL;
    zip_t *za = NULL;
    int rc = -1;
    if (index_of(person_id, created_at, parts, n, &index))
        goto out;
    if (!(src = zip_source_buffer_create(NULL, 0, 0, &ze)))
        goto out;
    zip_source_keep(src);
    if (!(za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)))
        goto out;
    /* The sources point at the parts, which outlive zip_close below. */
    zip_source_t *s = zip_source_buffer(za, index.data, index.len, 0);
    if (!s || zip_file_add(za, "index.phr", s, ZIP_FL_ENC_UTF_8) < 0) {
        zip_source_free(s);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        s = zip_source_buffer(za, parts[i].data, parts[i].len, 0);
        if (!s || zip_file_add(za, parts[i].path, s, ZIP_FL_ENC_UTF_8) < 0) {
            zip_source_free(s);
            goto out;
        }
    }
    int closed = zip_close(za);
    if (closed < 0)
        goto out;
    za = NULL;
    if (zip_source_open(src) < 0)
        goto out;
    char chunk[16384];
    zip_int64_t got;
    while ((got = zip_source_read(src, chunk, sizeof chunk)) > 0)
        if (buf_append(zip, chunk, (size_t)got)) {
            got = -1;
            break;
        }
    zip_source_close(src);
    rc = got < 0 ? -1 : 0;
out:
    if (za)
        zip_discard(za);
    if (src)
        zip_source_free(src);
    zip_error_fini(&ze);
    buf_wipe(&index);
    return rc;
}
