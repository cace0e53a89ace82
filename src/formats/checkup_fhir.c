#include "formats/checkup_fhir.h"

#include <string.h>

#include "formats/vitals.h"
#include "util/clock.h"

/* meta (version 1), subject and the provenance extension, shared by both
 * resources; the caller has opened the object and written its first
 * members. */
static int common(struct buf *b, const char *id, const struct checkup_meta *m)
{
    char when[32];
    clock_format_ms(m->recorded_at, when);
    return buf_puts(b, ",\"id\":") || buf_json_str(b, id) ||
           buf_printf(b, ",\"meta\":{\"versionId\":\"1\",\"lastUpdated\":\"%s\",\"source\":", when) ||
           buf_json_str(b, m->channel) ||
           buf_puts(b, ",\"tag\":[{\"system\":\"" PHR_SYS_DATA_CATEGORY "\",\"code\":\"1\",\"display\":"
                       "\"obtainable through the Mynaportal API and the like\"},{\"system\":\"" PHR_SYS_SOURCE
                       "\",\"code\":") ||
           buf_json_str(b, m->source) || buf_puts(b, "}]},\"subject\":{\"reference\":\"Patient/") ||
           buf_json_escape(b, m->person_id, strlen(m->person_id)) ||
           buf_puts(b, "\"},\"extension\":[{\"url\":\"" PHR_EXT_PROVENANCE "\",\"extension\":["
                       "{\"url\":\"recordedBy\",\"valueString\":") ||
           buf_json_str(b, m->recorded_by) ||
           buf_printf(b, "},{\"url\":\"recorded\",\"valueInstant\":\"%s\"},{\"url\":\"channel\",\"valueString\":", when) ||
           buf_json_str(b, m->channel) || buf_puts(b, "},{\"url\":\"originalSha256\",\"valueString\":") ||
           buf_json_str(b, m->sha256_hex) || buf_puts(b, "}]}]");
}

int checkup_observation(struct buf *b, const char *id, const struct checkup_meta *m, const struct cda_checkup *c,
                        const struct cda_result *r)
{
    (void)c;
    return buf_puts(b, "{\"resourceType\":\"Observation\"") || common(b, id, m) ||
           buf_puts(b, ",\"status\":\"final\",\"category\":[{\"coding\":[{\"system\":\"" OBS_CATEGORY
                       "\",\"code\":\"laboratory\",\"display\":\"Laboratory\"}]}],\"code\":{\"coding\":[{\"system\":"
                       "\"urn:oid:" TOKUTEI_ITEM_OID "\",\"code\":") ||
           buf_json_str(b, r->item->code) || buf_puts(b, ",\"display\":") || buf_json_str(b, r->item->name) ||
           buf_printf(b, "}]},\"effectiveDateTime\":\"%s\",", r->date) ||
           buf_append(b, r->value.data, r->value.len) || buf_puts(b, ",\"derivedFrom\":[{\"reference\":\"DocumentReference/") ||
           buf_json_escape(b, m->document_id, strlen(m->document_id)) || buf_puts(b, "\"}]}");
}

int checkup_document(struct buf *b, const struct checkup_meta *m, const struct cda_checkup *c, size_t bytes)
{
    char when[32];
    clock_format_ms(m->recorded_at, when);
    return buf_puts(b, "{\"resourceType\":\"DocumentReference\"") || common(b, m->document_id, m) ||
           buf_printf(b,
                      ",\"status\":\"current\",\"type\":{\"coding\":[{\"system\":\"urn:oid:1.2.392.200119.6.1001\","
                      "\"code\":\"10\",\"display\":\"特定健診\"}],\"text\":\"特定健診結果\"},"
                      "\"date\":\"%s\",\"content\":[{\"attachment\":{\"contentType\":\"%s\","
                      "\"size\":%zu,\"title\":\"特定健診結果 %s\"},\"format\":{\"system\":"
                      "\"urn:phr:format\",\"code\":\"%s\"}}],"
                      "\"context\":{\"period\":{\"start\":\"%s\",\"end\":\"%s\"}}}",
                      when, m->content_type, bytes, c->date, m->format, c->date, c->date);
}
