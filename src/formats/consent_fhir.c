#include "formats/consent_fhir.h"

#include <string.h>

#include "formats/auditevent.h"
#include "util/clock.h"

#define PURPOSE_SYSTEM "urn:phr:purpose"

static int write_documents(struct buf *out, const char *docs)
{
    /* Each "kind:version:lang:sha256" becomes a policy entry naming the
     * exact text that was shown. */
    const char *p = docs;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (buf_puts(out, ",{\"uri\":\"urn:phr:document:") || buf_json_escape(out, p, n) || buf_puts(out, "\"}"))
            return -1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

int consent_fhir_write(struct buf *out, const struct consent_row *e, int latest)
{
    const char *status = !latest ? "inactive" : strcmp(e->decision, "grant") == 0 ? "active" : "rejected";
    char at[32];
    clock_format_ms(e->at, at);
    if (buf_printf(out, "{\"resourceType\":\"Consent\",\"id\":\"c%lld\",\"status\":\"%s\",", (long long)e->seq,
                   status) ||
        buf_puts(out, "\"scope\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/consentscope\","
                      "\"code\":\"patient-privacy\"}]},"
                      "\"category\":[{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"59284-0\","
                      "\"display\":\"Consent Document\"}]}],\"patient\":{\"reference\":\"Patient/") ||
        buf_json_escape(out, e->person_id, strlen(e->person_id)) ||
        buf_printf(out, "\"},\"dateTime\":\"%s\",\"policy\":[{\"uri\":\"" PURPOSE_SYSTEM ":", at) ||
        buf_json_escape(out, e->purpose, strlen(e->purpose)) || buf_printf(out, ":%d\"}", e->purpose_version) ||
        write_documents(out, e->documents) ||
        buf_printf(out, "],\"provision\":{\"type\":\"%s\",\"purpose\":[{\"system\":\"" PURPOSE_SYSTEM "\",\"code\":",
                   strcmp(e->decision, "grant") == 0 ? "permit" : "deny") ||
        buf_json_str(out, e->purpose) ||
        buf_puts(out, "}]},\"extension\":[{\"url\":\"urn:phr:consent-decision\",\"valueCode\":") ||
        buf_json_str(out, e->decision) || buf_puts(out, "},{\"url\":\"urn:phr:consent-channel\",\"valueCode\":") ||
        buf_json_str(out, e->channel) || buf_puts(out, "},{\"url\":\"urn:phr:recorded-by\",\"valueString\":") ||
        buf_json_str(out, e->recorded_by) || buf_puts(out, "}]}"))
        return -1;
    return 0;
}

int provision_fhir_write(struct buf *out, const struct provision_entry *e)
{
    char at[32];
    clock_format_ms(e->at, at);
    if (buf_printf(out, "{\"resourceType\":\"Provenance\",\"id\":\"p%lld\",\"target\":[", (long long)e->seq))
        return -1;
    const char *p = e->items;
    int first = 1;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (buf_puts(out, first ? "{\"reference\":\"" : ",{\"reference\":\"") || audit_item_reference(out, p, n) ||
            buf_puts(out, "\"}"))
            return -1;
        first = 0;
        p = end ? end + 1 : NULL;
    }
    if (buf_printf(out, "],\"recorded\":\"%s\",\"policy\":[\"" PURPOSE_SYSTEM ":", at) ||
        buf_json_escape(out, e->purpose, strlen(e->purpose)) ||
        buf_printf(out, ":%d\",\"urn:phr:consent:c%lld\"],", e->purpose_version, (long long)e->consent_seq) ||
        buf_puts(out, "\"activity\":{\"coding\":[{\"system\":"
                      "\"http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle\",\"code\":\"disclose\"}]},"
                      "\"agent\":[{\"type\":{\"text\":\"recipient\"},\"who\":{\"display\":") ||
        buf_json_str(out, e->recipient_name ? e->recipient_name : "(unknown recipient)") ||
        buf_puts(out, "},\"extension\":[{\"url\":\"urn:phr:recipient-country\",\"valueCode\":") ||
        buf_json_str(out, e->recipient_country ? e->recipient_country : "") || buf_puts(out, "}]}]}"))
        return -1;
    return 0;
}
