#include "formats/sphr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zip.h>

#include "formats/json.h"
#include "util/clock.h"
#include "util/ids.h"

#define SPHR_PART "urn:phr:sphr-part"

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
                          "\"type\":{\"coding\":[{\"system\":\"" SPHR_PART "\",\"code\":\"%s\"}]},"
                          "\"subject\":{\"reference\":\"Patient/%s\"},\"date\":\"%s\",\"content\":[{\"attachment\":"
                          "{\"contentType\":",
                       ids[i], parts[i].original ? "original" : "records", person, when) ||
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
    int rc = -1;
    struct sphr_part *all = calloc(n + 1, sizeof *all);
    if (all && !index_of(person_id, created_at, parts, n, &index)) {
        all[0] = (struct sphr_part){.path = "index.phr", .data = index.data, .len = index.len};
        memcpy(all + 1, parts, n * sizeof *parts);
        rc = sphr_zip(all, n + 1, zip);
    }
    free(all);
    buf_wipe(&index);
    return rc;
}

int sphr_zip(const struct sphr_part *parts, size_t n, struct buf *zip)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = NULL;
    zip_t *za = NULL;
    int rc = -1;
    if (!(src = zip_source_buffer_create(NULL, 0, 0, &ze)))
        goto out;
    zip_source_keep(src);
    if (!(za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)))
        goto out;
    /* The sources point at the parts, which outlive zip_close below. */
    for (size_t i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(za, parts[i].data, parts[i].len, 0);
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
    return rc;
}

int sphr_sniff(const char *data, size_t len)
{
    return len >= 4 && !memcmp(data, "PK\x03\x04", 4);
}

/* Relative, no "..", no backslash or drive, printable. */
static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (!n || n > 255 || name[0] == '/' || strchr(name, '\\') || strchr(name, ':'))
        return 0;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    for (const char *seg = name; seg;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 2 && !strncmp(seg, "..", 2))
            return 0;
        seg = slash ? slash + 1 : NULL;
    }
    return 1;
}

/* The entry's bytes, read within its declared size (never trusting it). */
static char *entry_bytes(zip_t *za, zip_uint64_t i, zip_uint64_t size, struct fault *fault, const char *name)
{
    char *d = malloc(size ? size : 1);
    zip_file_t *f = d ? zip_fopen_index(za, i, 0) : NULL;
    if (!f) {
        free(d);
        fault_set(fault, F_INVALID_STRUCTURE, NULL, "file %.80s cannot be read from the package", name);
        return NULL;
    }
    zip_int64_t got = zip_fread(f, d, size), extra = 0;
    char probe;
    if (got == (zip_int64_t)size)
        extra = zip_fread(f, &probe, 1);
    zip_fclose(f);
    if (got != (zip_int64_t)size || extra != 0) {
        free(d);
        fault_set(fault, F_INVALID_STRUCTURE, NULL, "file %.80s is not the size the package says", name);
        return NULL;
    }
    return d;
}

static int add_part(struct sphr_pkg *p, zip_t *za, json_object *ref, struct fault *fault)
{
    json_object *content, *att, *type, *codings;
    if (!json_object_object_get_ex(ref, "content", &content) || !json_object_is_type(content, json_type_array) ||
        !(att = json_object_array_get_idx(content, 0)) || !json_object_object_get_ex(att, "attachment", &att))
        return fault_set(fault, F_MISSING, NULL, "index.phr: a DocumentReference without content.attachment");
    const char *url = json_get_str(att, "url"), *ct = json_get_str(att, "contentType"), *title = json_get_str(att, "title");
    if (!url || !name_ok(url))
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "index.phr: attachment.url must name a file of the package by a "
                         "relative path (%.80s)",
                         url ? url : "missing");
    zip_int64_t i = zip_name_locate(za, url, 0);
    if (i < 0)
        return fault_set(fault, F_INVALID_VALUE, NULL, "index.phr names %.80s, which the package does not hold", url);
    zip_stat_t st;
    if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0)
        return fault_set(fault, F_INVALID_STRUCTURE, NULL, "file %.80s cannot be read from the package", url);
    int original = 0;
    if (json_object_object_get_ex(ref, "type", &type) && json_object_object_get_ex(type, "coding", &codings) &&
        json_object_is_type(codings, json_type_array))
        for (size_t k = 0; k < json_object_array_length(codings); k++) {
            json_object *c = json_object_array_get_idx(codings, k);
            const char *sys = json_get_str(c, "system"), *code = json_get_str(c, "code");
            original |= sys && code && !strcmp(sys, SPHR_PART) && !strcmp(code, "original");
        }
    struct sphr_part *parts = realloc(p->parts, (p->n + 1) * sizeof *parts);
    if (!parts)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    p->parts = parts;
    struct sphr_part *x = &parts[p->n];
    memset(x, 0, sizeof *x);
    x->path = strdup(url);
    x->content_type = strdup(ct ? ct : "application/octet-stream");
    x->title = strdup(title ? title : url);
    x->original = original;
    p->n++;
    if (!x->path || !x->content_type || !x->title)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    x->len = (size_t)st.size;
    x->data = entry_bytes(za, (zip_uint64_t)i, st.size, fault, url);
    return x->data ? 0 : -1;
}

/* Every entry checked before any is read: names, encryption, sizes. */
static int check_entries(zip_t *za, struct fault *fault)
{
    zip_int64_t n = zip_get_num_entries(za, 0);
    if (n < 0 || n > SPHR_MAX_ENTRIES)
        return fault_set(fault, F_TOO_LARGE, NULL, "a package holds at most %d files", SPHR_MAX_ENTRIES);
    zip_uint64_t total = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
            return fault_set(fault, F_INVALID_STRUCTURE, NULL, "entry %lld of the package cannot be read",
                             (long long)i);
        if (!name_ok(st.name))
            return fault_set(fault, F_UNSAFE_CONTENT, NULL,
                             "the package names a file outside itself or unreadably "
                             "(%.80s): refused",
                             st.name);
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
            return fault_set(fault, F_NOT_SUPPORTED, NULL, "file %.80s is encrypted", st.name);
        if (st.size > SPHR_MAX_ENTRY)
            return fault_set(fault, F_TOO_LARGE, NULL, "file %.80s is larger than %d bytes", st.name, SPHR_MAX_ENTRY);
        if (st.size > 1024 && st.size / (st.comp_size ? st.comp_size : 1) > SPHR_MAX_RATIO)
            return fault_set(fault, F_UNSAFE_CONTENT, NULL,
                             "file %.80s expands more than %d times: refused as a "
                             "possible zip bomb",
                             st.name, SPHR_MAX_RATIO);
        if ((total += st.size) > SPHR_MAX_TOTAL)
            return fault_set(fault, F_TOO_LARGE, NULL, "the package's files come to more than %d bytes",
                             SPHR_MAX_TOTAL);
    }
    return 0;
}

int sphr_read(const char *data, size_t len, struct sphr_pkg *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    char *index = NULL;
    int rc = -1;
    if (!za) {
        zip_source_free(src);
        fault_set(fault, F_INVALID_STRUCTURE, NULL, "not a readable zip package: %s", zip_error_strerror(&ze));
        goto out;
    }
    if (check_entries(za, fault))
        goto out;
    zip_int64_t ix = zip_name_locate(za, "index.phr", 0);
    zip_stat_t st;
    if (ix < 0 || zip_stat_index(za, (zip_uint64_t)ix, 0, &st) < 0) {
        fault_set(fault, F_MISSING, NULL, "the package has no index.phr");
        goto out;
    }
    if (!(index = entry_bytes(za, (zip_uint64_t)ix, st.size, fault, "index.phr")))
        goto out;
    size_t used = 1; /* the index itself */
    for (char *line = index, *end = index + st.size; line < end;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (n && !(n == 1 && line[0] == '\r')) {
            json_object *o = json_parse_strict(line, n && line[n - 1] == '\r' ? n - 1 : n, fault);
            if (!o)
                goto out;
            const char *t = json_get_str(o, "resourceType");
            int bad = t && !strcmp(t, "DocumentReference") && add_part(out, za, o, fault);
            json_object_put(o);
            if (bad)
                goto out;
        }
        line += n + 1;
    }
    used += out->n;
    if (!out->n) {
        fault_set(fault, F_MISSING, NULL, "index.phr names no file (no DocumentReference)");
        goto out;
    }
    zip_int64_t entries = zip_get_num_entries(za, 0);
    out->unindexed = entries > (zip_int64_t)used ? (size_t)entries - used : 0;
    rc = 0;
out:
    free(index);
    if (za)
        zip_discard(za);
    zip_error_fini(&ze);
    if (rc)
        sphr_pkg_free(out);
    return rc;
}

void sphr_pkg_free(struct sphr_pkg *p)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->parts[i].data)
            sodium_memzero((void *)p->parts[i].data, p->parts[i].len);
        free((void *)p->parts[i].data);
        free((void *)p->parts[i].path);
        free((void *)p->parts[i].content_type);
        free((void *)p->parts[i].title);
    }
    free(p->parts);
    memset(p, 0, sizeof *p);
}
