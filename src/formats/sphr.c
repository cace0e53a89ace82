#include "formats/sphr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include <zip.h>

#include "crypto/digest.h"
#include "formats/json.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/utf8.h"

#define SPHR_PART "urn:phr:sphr-part"
/* PhrPatient's identifier: the person's id within the PHR service. */
#define PHRC_PATIENT_ID "http://phr.or.jp/fhir/IdSystem/patient-id"

/* As the PHRC module types them (its SphrConst): a CDA's report category
 * under the bare OID, the FHIR document's under urn:oid:. */
const struct sphr_doctype sphr_type_checkup_cda = {"1.2.392.200119.6.1001", "10", "特定健診情報(HL7 CDA)"};
const struct sphr_doctype sphr_type_jahis = {SPHR_DOCTYPE_SYSTEM, "JAHISTC-08", "調剤歴(お薬手帳QRコード)"};

int sphr_provider_ok(const char *id, const char *name)
{
    size_t n = id ? strlen(id) : 0;
    if (!n || n > 32 || !name || !*name || strlen(name) > 200 || !utf8_valid(name, strlen(name)))
        return 0;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '.'))
            return 0;
    return 1;
}

/* "<provider>_<yyyyMMddHHmmssfff>", the moment on the provider's clock. */
static void folder_of(const struct sphr_cover *c, char out[64])
{
    char t[32];
    clock_format_local(c->created_at, c->tz_offset_min, t); /* 2026-11-24T12:00:00+09:00 */
    snprintf(out, 64, "%s_%.4s%.2s%.2s%.2s%.2s%.2s%03d", c->provider_id, t, t + 5, t + 8, t + 11, t + 14, t + 17,
             (int)(((c->created_at % 1000) + 1000) % 1000));
}

/* The cover page (PhrComposition): the person and the provider contained,
 * then the files it covers (none: no section), one line. */
static int cover_of(const struct sphr_cover *c, const char *when, const char *id, char (*ids)[ID_LEN + 1], size_t n,
                    struct buf *b)
{
    char day[11];
    clock_format_day(c->created_at, c->tz_offset_min, day);
    int e = buf_printf(b, "{\"resourceType\":\"Composition\",\"id\":\"%s\",\"contained\":[{\"resourceType\":"
                          "\"Patient\",\"id\":\"person\",\"active\":true,\"identifier\":[{\"system\":\"" PHRC_PATIENT_ID
                          "\",\"value\":\"%s\"}]",
                       id, c->person_id);
    if (!e && c->name)
        e = buf_puts(b, ",\"name\":[{\"text\":") || buf_json_str(b, c->name) || buf_puts(b, "}]");
    if (!e && c->gender)
        e = buf_puts(b, ",\"gender\":") || buf_json_str(b, c->gender);
    e = e || buf_puts(b, "},{\"resourceType\":\"Organization\",\"id\":\"provider\",\"identifier\":[{\"system\":"
                         "\"urn:phr:provider\",\"value\":") ||
        buf_json_str(b, c->provider_id) || buf_puts(b, "}],\"name\":") || buf_json_str(b, c->provider_name) ||
        buf_printf(b, "}],\"status\":\"final\",\"type\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":"
                      "\"11503-0\",\"display\":\"Medical records\"}]},\"subject\":{\"reference\":\"#person\"},"
                      "\"date\":\"%s\",\"author\":[{\"reference\":\"#provider\"}],\"title\":\"PHR データ %.4s%.2s%.2s / "
                      "PHR data\"%s",
                   when, day, day + 5, day + 8, n ? ",\"section\":[{\"title\":\"files\",\"entry\":[" : "");
    for (size_t i = 0; !e && i < n; i++)
        e = buf_printf(b, "%s{\"reference\":\"DocumentReference/%s\"}", i ? "," : "", ids[i]);
    return e || buf_puts(b, n ? "]}]}\n" : "}\n");
}

int sphr_cover_write(const struct sphr_cover *c, const char *id, struct buf *out)
{
    char when[32];
    clock_format_local(c->created_at, c->tz_offset_min, when);
    return cover_of(c, when, id, NULL, 0, out);
}

int sphr_provenance_write(const struct sphr_cover *c, const char *composition_id, struct buf *out)
{
    char when[32], id[ID_LEN + 1];
    clock_format_local(c->created_at, c->tz_offset_min, when);
    id_uuid7(id);
    return buf_printf(out, "{\"resourceType\":\"Provenance\",\"id\":\"%s\",\"target\":[{\"reference\":"
                           "\"Composition/%s\"}],\"recorded\":\"%s\",\"activity\":{\"coding\":[{\"system\":"
                           "\"http://terminology.hl7.org/CodeSystem/v3-DataOperation\",\"code\":\"CREATE\"}]},"
                           "\"agent\":[{\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
                           "provenance-participant-type\",\"code\":\"assembler\"}]},\"who\":{\"identifier\":{"
                           "\"system\":\"urn:phr:provider\",\"value\":",
                      id, composition_id, when) ||
                   buf_json_str(out, c->provider_id) || buf_puts(out, "},\"display\":") ||
                   buf_json_str(out, c->provider_name) || buf_puts(out, "}}]}\n")
               ? -1
               : 0;
}

/* A file's DocumentReference: its PHRC type where one fits, then ours
 * (records, or an original whose records another file holds). */
static int reference_of(const struct sphr_part *p, const char *id, const char *person, const char *when,
                        struct buf *b)
{
    char hex[DIGEST_SHA256_HEX + 1];
    digest_sha256_hex(p->data, p->len, hex);
    int e = buf_printf(b, "{\"resourceType\":\"DocumentReference\",\"id\":\"%s\",\"status\":\"current\","
                          "\"type\":{\"coding\":[",
                       id);
    if (!e && p->type)
        e = buf_puts(b, "{\"system\":") || buf_json_str(b, p->type->system) || buf_puts(b, ",\"code\":") ||
            buf_json_str(b, p->type->code) || buf_puts(b, ",\"display\":") || buf_json_str(b, p->type->display) ||
            buf_puts(b, "},");
    return e ||
           buf_printf(b, "{\"system\":\"" SPHR_PART "\",\"code\":\"%s\"}]},\"subject\":{\"reference\":"
                         "\"Patient/%s\"},\"date\":\"%s\",\"content\":[{\"attachment\":{\"contentType\":",
                      p->original ? "original" : "records", person, when) ||
           buf_json_str(b, p->content_type) || buf_puts(b, ",\"url\":") || buf_json_str(b, p->path) ||
           buf_printf(b, ",\"size\":%zu,\"title\":", p->len) || buf_json_str(b, p->title) ||
           buf_printf(b, ",\"extension\":[{\"url\":\"urn:phr:sha256\",\"valueString\":\"%s\"}]}}]}\n", hex);
}

/* The index: the cover Composition, the DocumentManifest, then a
 * DocumentReference per part, one resource per line, in the order the
 * PHRC module reads them. */
static int index_of(const struct sphr_cover *c, const struct sphr_part *parts, size_t n, struct buf *b)
{
    char when[32], manifest[ID_LEN + 1], composition[ID_LEN + 1];
    clock_format_local(c->created_at, c->tz_offset_min, when);
    id_uuid7(manifest);
    id_uuid7(composition);
    char (*ids)[ID_LEN + 1] = calloc(n ? n : 1, sizeof *ids);
    if (!ids)
        return -1;
    for (size_t i = 0; i < n; i++)
        id_uuid7(ids[i]);
    int e = cover_of(c, when, composition, ids, n, b) ||
            buf_printf(b, "{\"resourceType\":\"DocumentManifest\",\"id\":\"%s\",\"status\":\"current\","
                          "\"subject\":{\"reference\":\"Patient/%s\"},\"created\":\"%s\",\"content\":[",
                       manifest, c->person_id, when);
    for (size_t i = 0; !e && i < n; i++)
        e = buf_printf(b, "%s{\"reference\":\"DocumentReference/%s\"}", i ? "," : "", ids[i]);
    e = e || buf_puts(b, "]}\n");
    for (size_t i = 0; !e && i < n; i++)
        e = reference_of(&parts[i], ids[i], c->person_id, when, b);
    free(ids);
    return e;
}

int sphr_package(const struct sphr_cover *cover, const struct sphr_part *parts, size_t n, struct buf *zip)
{
    struct buf index = {0}, names = {0}, jws = {0};
    int rc = -1;
    char folder[64];
    folder_of(cover, folder);
    struct sphr_part *all = calloc(n + 2, sizeof *all);
    size_t *at = calloc(n + 1, sizeof *at);
    if (!all || !at || index_of(cover, parts, n, &index))
        goto out;
    /* Each name is its folder's: offsets first, the buffer may move. */
    for (size_t i = 0; i <= n; i++) {
        at[i] = names.len;
        if (buf_printf(&names, "%s/%s", folder, i ? parts[i - 1].path : "index.phr") || buf_append(&names, "", 1))
            goto out;
    }
    all[0] = (struct sphr_part){.data = index.data, .len = index.len};
    memcpy(all + 1, parts, n * sizeof *parts);
    for (size_t i = 0; i <= n; i++)
        all[i].path = names.data + at[i];
    size_t total = n + 1;
    /* The signature goes last: all[] holds offsets into names, taken now. */
    if (cover->signer) {
        size_t jat = names.len;
        if (jws_detached_sign(cover->signer, index.data, index.len, &jws) ||
            buf_printf(&names, "%s/index.phr.jws", folder) || buf_append(&names, "", 1))
            goto out;
        for (size_t i = 0; i <= n; i++)
            all[i].path = names.data + at[i];
        all[total++] = (struct sphr_part){.path = names.data + jat, .data = jws.data, .len = jws.len};
    }
    rc = sphr_zip(all, total, zip);
out:
    free(all);
    free(at);
    buf_free(&names);
    buf_free(&jws);
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

/* The file's bytes against what its index says of them: the size, and
 * the SHA-256 our indexes give (urn:phr:sha256). */
static int as_indexed(json_object *att, const struct sphr_part *x, struct fault *fault)
{
    json_object *size, *exts;
    if (json_object_object_get_ex(att, "size", &size) && json_object_is_type(size, json_type_int) &&
        (uint64_t)json_object_get_int64(size) != x->len)
        return fault_set(fault, F_INVALID_VALUE, NULL, "file %.80s is not the size its index gives", x->path);
    if (!json_object_object_get_ex(att, "extension", &exts) || !json_object_is_type(exts, json_type_array))
        return 0;
    for (size_t k = 0; k < json_object_array_length(exts); k++) {
        json_object *e = json_object_array_get_idx(exts, k);
        const char *url = json_get_str(e, "url"), *want = json_get_str(e, "valueString");
        if (!url || strcmp(url, "urn:phr:sha256") || !want)
            continue;
        char hex[DIGEST_SHA256_HEX + 1];
        digest_sha256_hex(x->data, x->len, hex);
        if (strcasecmp(hex, want))
            return fault_set(fault, F_INVALID_VALUE, NULL,
                             "file %.80s does not match the SHA-256 its index gives: it was changed after the "
                             "package was made",
                             x->path);
    }
    return 0;
}

/* A file the index in folder (prefix: "" or "<folder>/") names. */
static int add_part(struct sphr_pkg *p, zip_t *za, const char *prefix, json_object *ref, struct fault *fault)
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
    size_t np = strlen(prefix), nu = strlen(url);
    char *whole = malloc(np + nu + 1);
    if (!whole)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    memcpy(whole, prefix, np);
    memcpy(whole + np, url, nu + 1);
    zip_int64_t i = zip_name_locate(za, whole, 0);
    if (i < 0) {
        fault_set(fault, F_INVALID_VALUE, NULL, "index.phr names %.80s%.80s, which the package does not hold", prefix,
                  url);
        free(whole);
        return -1;
    }
    zip_stat_t st;
    if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0) {
        free(whole);
        return fault_set(fault, F_INVALID_STRUCTURE, NULL, "file %.80s cannot be read from the package", url);
    }
    int original = 0;
    if (json_object_object_get_ex(ref, "type", &type) && json_object_object_get_ex(type, "coding", &codings) &&
        json_object_is_type(codings, json_type_array))
        for (size_t k = 0; k < json_object_array_length(codings); k++) {
            json_object *c = json_object_array_get_idx(codings, k);
            const char *sys = json_get_str(c, "system"), *code = json_get_str(c, "code");
            original |= sys && code && !strcmp(sys, SPHR_PART) && !strcmp(code, "original");
        }
    struct sphr_part *parts = realloc(p->parts, (p->n + 1) * sizeof *parts);
    if (!parts) {
        free(whole);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    p->parts = parts;
    struct sphr_part *x = &parts[p->n];
    memset(x, 0, sizeof *x);
    x->path = whole;
    x->content_type = strdup(ct ? ct : "application/octet-stream");
    x->title = strdup(title ? title : url);
    x->original = original;
    p->n++;
    if (!x->path || !x->content_type || !x->title)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    x->len = (size_t)st.size;
    x->data = entry_bytes(za, (zip_uint64_t)i, st.size, fault, whole);
    return x->data ? as_indexed(att, x, fault) : -1;
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

/* The index's detached JWS, if it has one ("<index>.jws"), for the
 * caller to verify: 1 read, 0 none, -1 malformed (the fault says). */
static int read_signature(struct sphr_pkg *out, zip_t *za, const char *name, const char *index, size_t len,
                          struct fault *fault)
{
    char jname[300];
    snprintf(jname, sizeof jname, "%s.jws", name);
    zip_int64_t i = zip_name_locate(za, jname, 0);
    zip_stat_t st;
    if (i < 0)
        return 0;
    if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0)
        return fault_set(fault, F_INVALID_STRUCTURE, NULL, "%.80s cannot be read from the package", jname);
    char *jws = entry_bytes(za, (zip_uint64_t)i, st.size, fault, jname);
    struct sphr_signature *sigs = jws ? realloc(out->sigs, (out->nsigs + 1) * sizeof *sigs) : NULL;
    if (!sigs) {
        free(jws);
        return jws ? fault_set(fault, F_INTERNAL, NULL, "out of memory") : -1;
    }
    out->sigs = sigs;
    struct sphr_signature *g = &sigs[out->nsigs];
    memset(g, 0, sizeof *g);
    struct fault why;
    int rc = jws_detached_read(jws, st.size, index, len, &g->jws, &why);
    free(jws);
    if (rc)
        return fault_set(fault, why.code, NULL, "%.80s: %s", jname, why.detail);
    if (!(g->index = strdup(name))) {
        jws_detached_free(&g->jws);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    out->nsigs++;
    return 1;
}

/* One index (name: "index.phr" or "<folder>/index.phr") and the files
 * it names, by paths within its folder. */
static int read_index(struct sphr_pkg *out, zip_t *za, zip_uint64_t ix, const char *name, struct fault *fault)
{
    zip_stat_t st;
    if (zip_stat_index(za, ix, 0, &st) < 0)
        return fault_set(fault, F_INVALID_STRUCTURE, NULL, "%.80s cannot be read from the package", name);
    char *index = entry_bytes(za, ix, st.size, fault, name);
    if (!index)
        return -1;
    size_t folder = strlen(name) - strlen("index.phr"), before = out->n;
    char *prefix = strndup(name, folder);
    int rc = prefix ? 0 : fault_set(fault, F_INTERNAL, NULL, "out of memory");
    for (char *line = index, *end = index + st.size; !rc && line < end;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (n && !(n == 1 && line[0] == '\r')) {
            json_object *o = json_parse_strict(line, line[n - 1] == '\r' ? n - 1 : n, fault);
            if (!o) {
                rc = -1;
                break;
            }
            const char *t = json_get_str(o, "resourceType");
            rc = t && !strcmp(t, "DocumentReference") ? add_part(out, za, prefix, o, fault) : 0;
            json_object_put(o);
        }
        line += n + 1;
    }
    if (!rc && out->n == before)
        rc = fault_set(fault, F_MISSING, NULL, "%.80s names no file (no DocumentReference)", name);
    if (!rc)
        rc = read_signature(out, za, name, index, st.size, fault) < 0 ? -1 : 0;
    free(prefix);
    free(index);
    return rc;
}

/* The indexes: the root's, or else each top folder's. */
static int read_indexes(struct sphr_pkg *out, zip_t *za, size_t *nindex, struct fault *fault)
{
    zip_int64_t root = zip_name_locate(za, "index.phr", 0);
    *nindex = 0;
    if (root >= 0) {
        *nindex = 1;
        return read_index(out, za, (zip_uint64_t)root, "index.phr", fault);
    }
    zip_int64_t entries = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < entries; i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, 0), *slash = name ? strchr(name, '/') : NULL;
        if (!slash || strcmp(slash + 1, "index.phr"))
            continue;
        if (++*nindex > SPHR_MAX_FOLDERS)
            return fault_set(fault, F_TOO_MANY, NULL, "a package holds at most %d folders with an index.phr",
                             SPHR_MAX_FOLDERS);
        if (read_index(out, za, (zip_uint64_t)i, name, fault))
            return -1;
    }
    return *nindex ? 0
                   : fault_set(fault, F_MISSING, NULL,
                               "the package has no index.phr (at its root or in a folder of its own)");
}

int sphr_read(const char *data, size_t len, struct sphr_pkg *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    int rc = -1;
    size_t nindex;
    if (!za) {
        zip_source_free(src);
        fault_set(fault, F_INVALID_STRUCTURE, NULL, "not a readable zip package: %s", zip_error_strerror(&ze));
        goto out;
    }
    if (check_entries(za, fault) || read_indexes(out, za, &nindex, fault))
        goto out;
    zip_int64_t entries = zip_get_num_entries(za, 0);
    size_t used = nindex + out->n + out->nsigs;
    out->unindexed = entries > (zip_int64_t)used ? (size_t)entries - used : 0;
    rc = 0;
out:
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
    for (size_t i = 0; i < p->nsigs; i++) {
        free(p->sigs[i].index);
        jws_detached_free(&p->sigs[i].jws);
    }
    free(p->sigs);
    memset(p, 0, sizeof *p);
}
