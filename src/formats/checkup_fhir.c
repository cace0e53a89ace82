#include "formats/checkup_fhir.h"

#include <stdio.h>
#include <string.h>

#include "formats/vitals.h"

int checkup_observation(struct buf *b, const char *id, const struct import_meta *m, const struct cda_checkup *c,
                        const struct cda_result *r)
{
    (void)c;
    /* The item's JP category (the table's group), the one category the
     * 健診結果報告書's results have. */
    return buf_puts(b, "{\"resourceType\":\"Observation\"") || import_common(b, id, m, 1, NULL, CHECKUP_OBSERVATION_PROFILE) ||
           buf_puts(b, ",\"status\":\"final\",\"category\":[{\"coding\":[{\"system\":\"" JP_OBS_CATEGORY
                       "\",\"code\":") ||
           buf_json_str(b, r->item->category) ||
           buf_puts(b, "}]}],\"code\":{\"coding\":[{\"system\":\"urn:oid:" TOKUTEI_ITEM_OID "\",\"code\":") ||
           buf_json_str(b, r->item->code) || buf_puts(b, ",\"display\":") || buf_json_str(b, r->item->name) ||
           buf_printf(b, "}]},\"effectiveDateTime\":\"%s\",", r->date) ||
           buf_append(b, r->value.data, r->value.len) || buf_puts(b, ",\"derivedFrom\":[{\"reference\":\"DocumentReference/") ||
           buf_json_escape(b, m->document_id, strlen(m->document_id)) || buf_puts(b, "\"}]}");
}

int checkup_document(struct buf *b, const struct import_meta *m, const struct cda_checkup *c, size_t bytes)
{
    char title[64];
    snprintf(title, sizeof title, "特定健診結果 %s", c->date);
    return import_document_by(b, m,
                              "{\"coding\":[{\"system\":\"urn:oid:1.2.392.200119.6.1001\",\"code\":\"10\","
                              "\"display\":\"特定健診\"}],\"text\":\"特定健診結果\"}",
                              title, c->date, bytes, &c->institution);
}
