#include "formats/cda_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/json.h"
#include "formats/patient_write.h"
#include "formats/tokutei_items.h"
#include "util/clock.h"

#define OID_PREFIX "urn:oid:"
#define INTERPRETATION_OID "2.16.840.1.113883.5.83"

/* o[key][0].coding[0], or o[key].coding[0] when key names an object. */
static json_object *first_coding(json_object *o, const char *key)
{
    json_object *v, *codings;
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    if (json_object_is_type(v, json_type_array))
        v = json_object_array_get_idx(v, 0);
    if (!v || !json_object_object_get_ex(v, "coding", &codings))
        return NULL;
    return json_object_array_get_idx(codings, 0);
}

/* The item table's code among the result's codings: a result kept as a
 * FHIR file sent it may carry the hospital's code and JLAC10's first. */
static const char *item_code(json_object *o)
{
    json_object *code, *codings;
    if (!json_object_object_get_ex(o, "code", &code) || !json_object_object_get_ex(code, "coding", &codings) ||
        !json_object_is_type(codings, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(codings); i++) {
        json_object *c = json_object_array_get_idx(codings, i), *v;
        if (json_object_object_get_ex(c, "system", &v) && json_object_is_type(v, json_type_string) &&
            !strcmp(json_object_get_string(v), OID_PREFIX TOKUTEI_ITEM_OID) &&
            json_object_object_get_ex(c, "code", &v) && json_object_is_type(v, json_type_string))
            return json_object_get_string(v);
    }
    return NULL;
}

/* A member's text: numbers as the record wrote them (json-c keeps the
 * digits it parsed), so 158.0 stays 158.0. */
static const char *text_of(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null) &&
                   !json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array)
               ? json_object_get_string(v)
               : NULL;
}

static int attr(struct buf *b, const char *name, const char *value)
{
    return buf_printf(b, " %s=\"", name) || buf_markup_escape(b, value) || buf_puts(b, "\"");
}

/* One bound of a reference range, in the item's unit. */
static int bound(struct buf *b, const char *name, json_object *range, const char *unit)
{
    json_object *q;
    const char *v = json_object_object_get_ex(range, name, &q) ? text_of(q, "value") : NULL;
    if (!v)
        return 0;
    return buf_printf(b, "<%s", name) || attr(b, "value", v) || (*unit && attr(b, "unit", unit)) || buf_puts(b, "/>");
}

struct result {
    const struct tokutei_item *item;
    json_object *o;
    const char *value, *system, *display; /* PQ: value; CD/CO: code, its system, display; ST: text */
};

static int value_of(struct result *r, struct fault *fault)
{
    const struct tokutei_item *it = r->item;
    json_object *v, *coding;
    if (!strcmp(it->type, "PQ")) {
        r->value = json_object_object_get_ex(r->o, "valueQuantity", &v) ? text_of(v, "value") : NULL;
    } else if (!strcmp(it->type, "CD") || !strcmp(it->type, "CO")) {
        coding = first_coding(r->o, "valueCodeableConcept");
        r->value = text_of(coding, "code");
        r->system = text_of(coding, "system");
        r->display = text_of(coding, "display");
        if (r->system && !strncmp(r->system, OID_PREFIX, strlen(OID_PREFIX)))
            r->system += strlen(OID_PREFIX);
        else
            r->system = NULL;
    } else {
        r->value = text_of(r->o, "valueString");
    }
    if (!r->value || (r->system == NULL && (!strcmp(it->type, "CD") || !strcmp(it->type, "CO"))))
        return fault_set(fault, F_INTERNAL, NULL, "item %s (%s): the record has no %s value to write", it->code,
                         it->name, it->type);
    return 0;
}

/* The narrative a reader of the document sees: the item, its value. */
static int narrative(struct buf *b, const struct result *r, size_t n)
{
    int err = buf_puts(b, "<text><list>");
    for (size_t i = 0; i < n && !err; i++) {
        const char *shown = r[i].display ? r[i].display : r[i].value;
        err = buf_puts(b, "<item>") || buf_markup_escape(b, r[i].item->name) || buf_puts(b, ": ") ||
              buf_markup_escape(b, shown) ||
              (*r[i].item->unit && (buf_puts(b, " ") || buf_markup_escape(b, r[i].item->unit))) ||
              buf_puts(b, "</item>");
    }
    return err || buf_puts(b, "</list></text>");
}

/* The observation, its parts in the order CDA R2 fixes: code, value,
 * interpretationCode, referenceRange. */
static int entry(struct buf *b, const struct result *r)
{
    const struct tokutei_item *it = r->item;
    int err = buf_puts(b, "<entry><observation classCode=\"OBS\" moodCode=\"EVN\"><code") || attr(b, "code", it->code) ||
              attr(b, "codeSystem", TOKUTEI_ITEM_OID) || attr(b, "displayName", it->name) ||
              buf_printf(b, "/><value xsi:type=\"%s\"", it->type);
    if (!strcmp(it->type, "PQ"))
        err = err || attr(b, "value", r->value) || (*it->unit && attr(b, "unit", it->unit)) || buf_puts(b, "/>");
    else if (r->system)
        err = err || attr(b, "code", r->value) || attr(b, "codeSystem", r->system) ||
              (r->display && attr(b, "displayName", r->display)) || buf_puts(b, "/>");
    else
        err = err || buf_puts(b, ">") || buf_markup_escape(b, r->value) || buf_puts(b, "</value>");
    const char *flag = text_of(first_coding(r->o, "interpretation"), "code");
    if (flag)
        err = err || buf_puts(b, "<interpretationCode") || attr(b, "code", flag) ||
              attr(b, "codeSystem", INTERPRETATION_OID) || buf_puts(b, "/>");
    json_object *ranges, *range;
    if (json_object_object_get_ex(r->o, "referenceRange", &ranges) &&
        (range = json_object_array_get_idx(ranges, 0)) != NULL &&
        (json_object_object_get_ex(range, "low", NULL) || json_object_object_get_ex(range, "high", NULL)))
        err = err || buf_puts(b, "<referenceRange><observationRange><value xsi:type=\"IVL_PQ\">") ||
              bound(b, "low", range, it->unit) || bound(b, "high", range, it->unit) ||
              buf_puts(b, "</value></observationRange></referenceRange>");
    return err || buf_puts(b, "</observation></entry>");
}

/* A CDA TS in Japan time: YYYYMMDDHHMMSS+0900. */
static void cda_time(int64_t ms, char out[24])
{
    char iso[32];
    clock_format_ms(ms + 9 * 3600 * 1000LL, iso);
    snprintf(out, 24, "%.4s%.2s%.2s%.2s%.2s%.2s+0900", iso, iso + 5, iso + 8, iso + 11, iso + 14, iso + 17);
}

/* The first of o[key] (an array), or NULL. */
static json_object *first_of(json_object *o, const char *key)
{
    json_object *a;
    return json_object_object_get_ex(o, key, &a) && json_object_is_type(a, json_type_array)
               ? json_object_array_get_idx(a, 0)
               : NULL;
}

/* The examining institution as the serviceEvent's performer: its 医療機関
 * コード (under MHLW's root, from either system FHIR names it by), name,
 * phone and address. */
static int institution(struct buf *b, json_object *org)
{
    const char *name = json_get_str(org, "name");
    if (!name)
        return 0;
    int err = buf_puts(b, "<performer typeCode=\"PRF\"><assignedEntity><id nullFlavor=\"NI\"/><representedOrganization>");
    json_object *ids;
    for (size_t i = 0; json_object_object_get_ex(org, "identifier", &ids) && json_object_is_type(ids, json_type_array) &&
                       i < json_object_array_length(ids);
         i++) {
        const char *sys = json_get_str(json_object_array_get_idx(ids, i), "system"),
                   *value = json_get_str(json_object_array_get_idx(ids, i), "value");
        if (sys && value &&
            (!strcmp(sys, "urn:oid:1.2.392.200119.6.102") ||
             !strcmp(sys, "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no"))) {
            err = err || buf_puts(b, "<id") || attr(b, "extension", value) ||
                  buf_puts(b, " root=\"1.2.392.200119.6.102\"/>");
            break;
        }
    }
    err = err || buf_puts(b, "<name>") || buf_markup_escape(b, name) || buf_puts(b, "</name>");
    const char *phone = json_get_str(first_of(org, "telecom"), "value");
    if (phone)
        err = err || buf_puts(b, "<telecom value=\"tel:") || buf_markup_escape(b, phone) || buf_puts(b, "\"/>");
    json_object *a = first_of(org, "address");
    const char *postal = json_get_str(a, "postalCode"), *text = json_get_str(a, "text");
    if (postal || text) {
        err = err || buf_puts(b, "<addr>");
        if (postal)
            err = err || buf_puts(b, "<postalCode>") || buf_markup_escape(b, postal) || buf_puts(b, "</postalCode>");
        if (text)
            err = err || buf_markup_escape(b, text);
        err = err || buf_puts(b, "</addr>");
    }
    return err || buf_puts(b, "</representedOrganization></assignedEntity></performer>");
}

static int header(struct buf *b, const struct cda_header *h)
{
    char now[24], day[9];
    cda_time(h->now_ms, now);
    snprintf(day, sizeof day, "%.4s%.2s%.2s", h->day, h->day + 5, h->day + 8);
    return buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<ClinicalDocument xmlns=\"urn:hl7-org:v3\" "
                       "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
                       "<typeId root=\"2.16.840.1.113883.1.3\" extension=\"POCD_HD000040\"/><id") ||
           attr(b, "root", h->document_id) ||
           buf_printf(b, "/><code code=\"10\" codeSystem=\"1.2.392.200119.6.1001\"/>"
                         "<effectiveTime value=\"%s\"/>"
                         "<confidentialityCode code=\"N\" codeSystem=\"2.16.840.1.113883.5.25\"/>",
                      now) ||
           patient_cda(h->person, h->person_id, b) ||
           buf_printf(b, "<author><time value=\"%s\"/><assignedAuthor>"
                         "<id nullFlavor=\"NI\"/><representedOrganization><name>",
                      now) ||
           buf_markup_escape(b, h->author) ||
           buf_printf(b, "</name></representedOrganization></assignedAuthor></author><custodian><assignedCustodian>"
                         "<representedCustodianOrganization><id nullFlavor=\"NI\"/>"
                         "</representedCustodianOrganization></assignedCustodian></custodian>"
                         "<documentationOf><serviceEvent><effectiveTime value=\"%s\"/>",
                      day) ||
           (h->institution && institution(b, h->institution)) ||
           buf_puts(b, "</serviceEvent></documentationOf>");
}

int cda_write(const struct cda_header *h, json_object *const *results, size_t n, struct buf *out, struct fault *fault)
{
    if (!h->day || strlen(h->day) != 10)
        return fault_set(fault, F_INTERNAL, NULL, "the checkup's day is not YYYY-MM-DD");
    struct result *r = calloc(n ? n : 1, sizeof *r);
    if (!r)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        const char *code = item_code(results[i]);
        r[i].o = results[i];
        r[i].item = code ? tokutei_item_find(code) : NULL;
        if (!r[i].item) {
            const char *named = code ? code : text_of(first_coding(results[i], "code"), "code");
            fault_set(fault, F_INTERNAL, NULL, "a result coded '%.40s' is not in the 特定健診 item table",
                      named ? named : "");
            goto out;
        }
        if (value_of(&r[i], fault))
            goto out;
    }
    if (header(out, h) ||
        buf_puts(out, "<component><structuredBody><component><section>"
                      "<code code=\"01010\" codeSystem=\"1.2.392.200119.6.1010\"/><title>検査・問診結果</title>") ||
        narrative(out, r, n))
        goto oom;
    for (size_t i = 0; i < n; i++)
        if (entry(out, &r[i]))
            goto oom;
    if (buf_puts(out, "</section></component></structuredBody></component></ClinicalDocument>\n"))
        goto oom;
    rc = 0;
    goto out;
oom:
    fault_set(fault, F_INTERNAL, NULL, "out of memory");
out:
    free(r);
    return rc;
}
