#include "formats/import_fhir.h"

#include <string.h>
#include <json-c/json.h>

#include "formats/vitals.h"
#include "util/clock.h"
#include "util/err.h"

static const char *category_display(int c)
{
    return c == 1 ? "obtainable through the Mynaportal API and the like"
           : c == 2 ? "provided by a medical institution, entered by the person"
                    : "measured or recorded by the person";
}

int import_common(struct buf *b, const char *id, const struct import_meta *m, int data_category, const char *source,
                  const char *profile)
{
    return import_common_as(b, id, m, data_category, source, profile, "subject");
}

int import_common_as(struct buf *b, const char *id, const struct import_meta *m, int data_category,
                     const char *source, const char *profile, const char *subject_member)
{
    char when[32];
    clock_format_ms(m->recorded_at, when);
    return buf_puts(b, ",\"id\":") || buf_json_str(b, id) ||
           buf_printf(b, ",\"meta\":{\"versionId\":\"1\",\"lastUpdated\":\"%s\",", when) ||
           (profile && (buf_puts(b, "\"profile\":[") || buf_json_str(b, profile) || buf_puts(b, "],"))) ||
           buf_puts(b, "\"source\":") ||
           buf_json_str(b, m->channel) ||
           buf_printf(b, ",\"tag\":[{\"system\":\"" PHR_SYS_DATA_CATEGORY "\",\"code\":\"%d\",\"display\":\"%s\"},"
                         "{\"system\":\"" PHR_SYS_SOURCE "\",\"code\":",
                      data_category, category_display(data_category)) ||
           buf_json_str(b, source ? source : m->source) ||
           buf_printf(b, "}]},\"%s\":{\"reference\":\"Patient/", subject_member) ||
           buf_json_escape(b, m->person_id, strlen(m->person_id)) ||
           buf_puts(b, "\"},\"extension\":[{\"url\":\"" PHR_EXT_PROVENANCE "\",\"extension\":["
                       "{\"url\":\"recordedBy\",\"valueString\":") ||
           buf_json_str(b, m->recorded_by) ||
           buf_printf(b, "},{\"url\":\"recorded\",\"valueInstant\":\"%s\"},{\"url\":\"channel\",\"valueString\":", when) ||
           buf_json_str(b, m->channel) || buf_puts(b, "},{\"url\":\"originalSha256\",\"valueString\":") ||
           buf_json_str(b, m->sha256_hex) || buf_puts(b, "}]}]");
}

int import_document(struct buf *b, const struct import_meta *m, const char *type_json, const char *title,
                    const char *day, size_t bytes)
{
    return import_document_by(b, m, type_json, title, day, bytes, NULL);
}

int import_document_by(struct buf *b, const struct import_meta *m, const char *type_json, const char *title,
                       const char *day, size_t bytes, const struct buf *org)
{
    char when[32];
    clock_format_ms(m->recorded_at, when);
    return buf_puts(b, "{\"resourceType\":\"DocumentReference\"") ||
           import_common(b, m->document_id, m, 1, NULL, NULL) ||
           buf_printf(b, ",\"status\":\"current\",\"type\":%s,\"date\":\"%s\",\"content\":[{\"attachment\":{"
                         "\"contentType\":\"%s\",\"size\":%zu,\"title\":",
                      type_json, when, m->content_type, bytes) ||
           buf_json_str(b, title) ||
           buf_printf(b, "},\"format\":{\"system\":\"urn:phr:format\",\"code\":\"%s\"}}],"
                         "\"context\":{\"period\":{\"start\":\"%s\",\"end\":\"%s\"}}",
                      m->format, day, day) ||
           (org && org->len > 2 && org->data[0] == '{' &&
            (buf_puts(b, ",\"contained\":[{\"id\":\"author\",") || buf_append(b, org->data + 1, org->len - 1) ||
             buf_puts(b, "],\"author\":[{\"reference\":\"#author\"}]"))) ||
           buf_puts(b, "}");
}

int document_with_url(const char *json, size_t len, const char *url, struct buf *out)
{
    json_tokener *tok = json_tokener_new();
    json_object *doc = tok ? json_tokener_parse_ex(tok, json, (int)len) : NULL, *content;
    if (tok)
        json_tokener_free(tok);
    int err = PHR_OK;
    if (doc && json_object_object_get_ex(doc, "content", &content) && json_object_is_type(content, json_type_array)) {
        for (size_t i = 0; !err && i < json_object_array_length(content); i++) {
            json_object *attachment;
            if (json_object_object_get_ex(json_object_array_get_idx(content, i), "attachment", &attachment) &&
                json_object_is_type(attachment, json_type_object) &&
                json_object_object_add(attachment, "url", json_object_new_string(url)))
                err = PHR_ENOMEM;
        }
        const char *s = err ? NULL : json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!err)
            err = !s || buf_puts(out, s) ? PHR_ENOMEM : PHR_OK;
    } else {
        err = buf_append(out, json, len) ? PHR_ENOMEM : PHR_OK;
    }
    json_object_put(doc);
    return err;
}
