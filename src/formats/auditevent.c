#include "formats/auditevent.h"

#include <string.h>

#include "util/clock.h"

/* FHIR's audit-event-action: Create, Read, Update, or Execute. */
static const char *action_code(const char *action)
{
    if (!strcmp(action, "record.create"))
        return "C";
    if (!strcmp(action, "record.update"))
        return "U";
    if (!strncmp(action, "record.", 7) || !strcmp(action, "consent.read") || !strcmp(action, "provision.read"))
        return "R";
    return "E";
}

static const char *who(const struct audit_row *a)
{
    if (!a->role)
        return "unknown";
    if (!strcmp(a->role, "person"))
        return "another person";
    if (!strcmp(a->role, "recipient"))
        return "a recipient of provision";
    if (!strcmp(a->role, "system"))
        return "the service operator";
    return a->role;
}

int audit_item_reference(struct buf *out, const char *item, size_t n)
{
    const char *at = memchr(item, '@', n);
    if (at)
        n = (size_t)(at - item);
    return (!memchr(item, '/', n) && buf_puts(out, "Observation/")) || buf_json_escape(out, item, n);
}

static int write_records(struct buf *out, const char *records)
{
    const char *p = records;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        if (buf_puts(out, ",{\"what\":{\"reference\":\"") || audit_item_reference(out, p, n) ||
            buf_puts(out, "\"}}"))
            return -1;
        p += n + (p[n] == ',');
    }
    return 0;
}

int auditevent_write(struct buf *out, const struct audit_row *a)
{
    char at[32];
    clock_format_ms(a->at, at);
    const char *action = a->action ? a->action : "";
    int allowed = a->result && !strcmp(a->result, "allow");
    if (buf_printf(out, "{\"resourceType\":\"AuditEvent\",\"id\":\"a%lld\",", (long long)a->seq) ||
        buf_puts(out, "\"type\":{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-event-type\","
                      "\"code\":\"rest\"},\"subtype\":[{\"system\":\"urn:phr:action\",\"code\":") ||
        buf_json_str(out, action) ||
        buf_printf(out, "}],\"action\":\"%s\",\"recorded\":\"%s\",\"outcome\":\"%s\",", action_code(action), at,
                   allowed ? "0" : "4") ||
        (a->reason && (buf_puts(out, "\"outcomeDesc\":") || buf_json_str(out, a->reason) || buf_puts(out, ","))) ||
        buf_puts(out, "\"agent\":[{\"type\":{\"text\":") || buf_json_str(out, who(a)) ||
        buf_puts(out, "},\"requestor\":true}],\"source\":{\"observer\":{\"display\":\"phr\"}},"
                      "\"entity\":[{\"what\":{\"reference\":\"Patient/") ||
        buf_json_escape(out, a->subject ? a->subject : "", a->subject ? strlen(a->subject) : 0) ||
        buf_puts(out, "\"}}") ||
        (allowed && !strncmp(action, "record.", 7) && write_records(out, a->records)) || buf_puts(out, "]}"))
        return -1;
    return 0;
}
