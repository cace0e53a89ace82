#include "formats/cda.h"

#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <json-c/json.h>

#include "formats/cda_schema.h"
#include "formats/fhirtime.h"
#include "util/utf8.h"

#define HL7_NS "urn:hl7-org:v3"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define CDA_TYPE_ID "POCD_HD000040"

static int named(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns && !strcmp((const char *)n->ns->href, HL7_NS) &&
           !strcmp((const char *)n->name, name);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (named(c, name))
            return c;
    return NULL;
}

/* The attribute's value, kept by the document (freed with it). */
static const char *attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n ? n->properties : NULL; a; a = a->next)
        if (!a->ns && !strcmp((const char *)a->name, name) && a->children && a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    return NULL;
}

static const char *xsi_type(const xmlNode *n)
{
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (a->ns && !strcmp((const char *)a->ns->href, XSI_NS) && !strcmp((const char *)a->name, "type") &&
            a->children)
            return (const char *)a->children->content;
    return NULL;
}

/* A decimal as FHIR allows it: -?digits(.digits)? */
static int decimal_ok(const char *s)
{
    const char *p = s + (*s == '-');
    size_t ip = strspn(p, "0123456789");
    if (ip == 0 || ip > 12)
        return 0;
    p += ip;
    if (*p == '.') {
        size_t fp = strspn(p + 1, "0123456789");
        if (fp == 0 || fp > 6)
            return 0;
        p += 1 + fp;
    }
    return *p == '\0';
}

static int put_value(struct buf *b, const xmlNode *value, const char *type, const struct tokutei_item *it,
                     struct fault *fault)
{
    if (!strcmp(type, "PQ")) {
        const char *v = attr(value, "value"), *unit = attr(value, "unit");
        if (!v || !decimal_ok(v))
            return fault_set(fault, F_INVALID_VALUE, NULL, "item %s (%s): the value '%s' is not a number", it->code,
                             it->name, v ? v : "");
        if (*it->unit && (!unit || strcmp(unit, it->unit)))
            return fault_set(fault, F_INVALID_VALUE, NULL, "item %s (%s): the unit must be '%s', not '%s'", it->code,
                             it->name, it->unit, unit ? unit : "");
        const char *u = *it->unit ? it->unit : unit;
        if (buf_printf(b, "\"valueQuantity\":{\"value\":%s", v) ||
            (u && *u && (buf_puts(b, ",\"unit\":") || buf_json_str(b, u) ||
                         buf_puts(b, ",\"system\":\"http://unitsofmeasure.org\",\"code\":") || buf_json_str(b, u))) ||
            buf_puts(b, "}"))
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
        return 0;
    }
    if (!strcmp(type, "CD") || !strcmp(type, "CO")) {
        const char *code = attr(value, "code"), *system = attr(value, "codeSystem"),
                   *display = attr(value, "displayName");
        if (!code || !system)
            return fault_set(fault, F_INVALID_VALUE, NULL, "item %s (%s): a coded value needs code and codeSystem",
                             it->code, it->name);
        if (buf_puts(b, "\"valueCodeableConcept\":{\"coding\":[{\"system\":\"urn:oid:") ||
            buf_json_escape(b, system, strlen(system)) || buf_puts(b, "\",\"code\":") || buf_json_str(b, code) ||
            (display && (buf_puts(b, ",\"display\":") || buf_json_str(b, display))) || buf_puts(b, "}]}"))
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
        return 0;
    }
    xmlChar *text = xmlNodeGetContent(value);
    int bad = !text || !*text;
    int err = !bad && (buf_puts(b, "\"valueString\":") || buf_json_str(b, (const char *)text));
    xmlFree(text);
    if (bad)
        return fault_set(fault, F_INVALID_VALUE, NULL, "item %s (%s): the text value is empty", it->code, it->name);
    return err ? fault_set(fault, F_INTERNAL, NULL, "out of memory") : 0;
}

static int put_bound(struct buf *b, const char *name, const char *v, const char *unit)
{
    return buf_printf(b, "\"%s\":{\"value\":%s", name, v) ||
           (*unit && (buf_puts(b, ",\"unit\":") || buf_json_str(b, unit) ||
                      buf_puts(b, ",\"system\":\"http://unitsofmeasure.org\",\"code\":") || buf_json_str(b, unit))) ||
           buf_puts(b, "}");
}

int cda_result_range(struct cda_result *r, const char *low, const char *high, const char *flag, struct fault *fault)
{
    const struct tokutei_item *it = r->item;
    if ((low && !decimal_ok(low)) || (high && !decimal_ok(high)))
        return fault_set(fault, F_INVALID_VALUE, NULL, "item %s (%s): the reference range must be numbers", it->code,
                         it->name);
    if (flag && (!*flag || strlen(flag) > 4 || strspn(flag, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(flag)))
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "item %s (%s): the interpretation '%.8s' is not an ObservationInterpretation code", it->code,
                         it->name, flag);
    struct buf *b = &r->value;
    int err = 0;
    if (low || high)
        err = buf_puts(b, ",\"referenceRange\":[{") || (low && put_bound(b, "low", low, it->unit)) ||
              (low && high && buf_puts(b, ",")) || (high && put_bound(b, "high", high, it->unit)) || buf_puts(b, "}]");
    if (!err && flag)
        err = buf_puts(b, ",\"interpretation\":[{\"coding\":[{\"system\":"
                          "\"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation\",\"code\":") ||
              buf_json_str(b, flag) || buf_puts(b, "}]}]");
    return err ? fault_set(fault, F_INTERNAL, NULL, "out of memory") : 0;
}

struct walk {
    struct cda_checkup *c;
    size_t cap;
    struct fault *fault;
};

int cda_result_room(struct cda_checkup *c, size_t *cap, struct fault *fault)
{
    if (c->nresults == CDA_MAX_RESULTS)
        return fault_set(fault, F_TOO_MANY, NULL, "more than %d results in one document", CDA_MAX_RESULTS);
    if (c->nresults < *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 64;
    struct cda_result *r = realloc(c->results, n * sizeof *r);
    if (!r)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    c->results = r;
    *cap = n;
    return 0;
}

static int add_result(struct walk *w, const xmlNode *obs)
{
    const xmlNode *code = child(obs, "code"), *value = child(obs, "value");
    const char *system = attr(code, "codeSystem"), *item_code = attr(code, "code");
    if (!system || strcmp(system, TOKUTEI_ITEM_OID) || !item_code)
        return 0; /* not a checkup item (a method, a grouping) */
    const struct tokutei_item *it = tokutei_item_find(item_code);
    if (!it)
        return fault_set(w->fault, F_UNKNOWN_CODE, NULL, "item code %s is not in the 特定健診 item table", item_code);
    if (!value || attr(value, "nullFlavor")) {
        w->c->skipped++;
        return 0;
    }
    const char *type = xsi_type(value);
    if (!type || strcmp(type, it->type))
        return fault_set(w->fault, F_INVALID_VALUE, NULL, "item %s (%s): the value must be of type %s, not %s",
                         it->code, it->name, it->type, type ? type : "(none)");
    if (cda_result_room(w->c, &w->cap, w->fault))
        return -1;
    struct cda_result *r = &w->c->results[w->c->nresults];
    *r = (struct cda_result){.item = it, .date_lo = w->c->date_lo, .date_hi = w->c->date_hi};
    memcpy(r->date, w->c->date, sizeof r->date);
    /* The institution's own range and flag, where the document has them
     * (referenceRange/observationRange, interpretationCode). */
    const xmlNode *range = child(child(child(obs, "referenceRange"), "observationRange"), "value");
    const char *flag = attr(child(obs, "interpretationCode"), "code");
    if (put_value(&r->value, value, type, it, w->fault) ||
        cda_result_range(r, attr(child(range, "low"), "value"), attr(child(range, "high"), "value"), flag, w->fault)) {
        buf_free(&r->value);
        return -1;
    }
    w->c->nresults++;
    return 0;
}

/* Every observation in the body, at any depth (entries, organizers,
 * entryRelationships). */
static int walk(struct walk *w, const xmlNode *n)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (named(c, "observation") && add_result(w, c))
            return -1;
        if (walk(w, c))
            return -1;
    }
    return 0;
}

/* libxml2 reports to stderr unless told otherwise, with the broken line of
 * the document: an upload's line may hold a person's values, and stderr is
 * the service log. So its errors come here instead, per parsing thread,
 * and only their code and line are kept. */
struct parse_errors {
    int code, line, seen;
};

static void parse_error(void *arg, xmlErrorPtr e)
{
    struct parse_errors *pe = arg;
    if (pe->seen++ || !e)
        return; /* the first error says where it starts */
    pe->code = e->code;
    pe->line = e->line;
}

static void quiet(void *arg, xmlErrorPtr e)
{
    (void)arg;
    (void)e;
}

static void collect_error(void *arg, xmlErrorPtr e)
{
    struct fault *fault = arg;
    if (fault->code != F_NONE)
        return; /* the first error says where it starts */
    char msg[200];
    snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "invalid");
    msg[strcspn(msg, "\n")] = '\0';
    fault_set(fault, F_INVALID_STRUCTURE, NULL,
              "the document does not conform to the 特定健診 schema (hc08), line %d: %s", e ? e->line : 0, msg);
}

static int check_header(const xmlNode *root, struct cda_checkup *c, struct fault *fault)
{
    if (!root || strcmp((const char *)root->name, "ClinicalDocument"))
        return fault_set(fault, F_INVALID_STRUCTURE, NULL,
                         "not a 特定健診 CDA: the root element is '%s', not ClinicalDocument",
                         root ? (const char *)root->name : "");
    if (!root->ns || strcmp((const char *)root->ns->href, HL7_NS))
        return fault_set(fault, F_INVALID_STRUCTURE, NULL,
                         "not a 特定健診 CDA: ClinicalDocument is in the namespace '%s', not " HL7_NS
                         " (an old or foreign format?)",
                         root->ns ? (const char *)root->ns->href : "(none)");
    const char *type_id = attr(child(root, "typeId"), "extension");
    if (!type_id || strcmp(type_id, CDA_TYPE_ID))
        return fault_set(fault, F_INVALID_STRUCTURE, NULL,
                         "wrong CDA version: typeId is '%s', not " CDA_TYPE_ID " (CDA R2)",
                         type_id ? type_id : "(none)");
    const char *date = attr(child(child(child(root, "documentationOf"), "serviceEvent"), "effectiveTime"), "value");
    if (!date || strlen(date) < 8 || strspn(date, "0123456789") < 8)
        return fault_set(fault, F_MISSING, NULL,
                         "the checkup date (serviceEvent/effectiveTime) is missing or not a date");
    snprintf(c->date, sizeof c->date, "%.4s-%.2s-%.2s", date, date + 4, date + 6);
    if (fhirtime_parse(c->date, FHIRTIME_DATETIME, 9 * 60, &c->date_lo, &c->date_hi))
        return fault_set(fault, F_INVALID_VALUE, NULL, "the checkup date '%s' is not a date", date);
    return 0;
}

/* The document parsed, its header checked and validated against the
 * schema; NULL with the fault filled. */
static xmlDocPtr load(const char *xml, size_t len, struct cda_checkup *c, struct fault *fault)
{
    memset(fault, 0, sizeof *fault);
    if (len > CDA_MAX_BYTES) {
        fault_set(fault, F_TOO_LARGE, NULL, "the document is larger than %d bytes", CDA_MAX_BYTES);
        return NULL;
    }
    if (!cda_schema()) {
        fault_set(fault, F_INTERNAL, NULL, "the 特定健診 schema is not loaded");
        return NULL;
    }
    struct parse_errors pe = {0, 0, 0};
    xmlSetStructuredErrorFunc(&pe, parse_error);
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "upload.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING);
    xmlSetStructuredErrorFunc(NULL, quiet);
    if (!doc) {
        fault_set(fault, F_MALFORMED, NULL, "the document is not well-formed XML: error %d at line %d", pe.code,
                  pe.line);
        return NULL;
    }
    if (doc->intSubset || doc->extSubset) {
        fault_set(fault, F_UNSAFE_CONTENT, NULL, "a document type declaration (DTD) is not accepted");
        goto fail;
    }
    if (check_header(xmlDocGetRootElement(doc), c, fault))
        goto fail;
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt((xmlSchemaPtr)cda_schema());
    if (!vc) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    xmlSchemaSetValidStructuredErrors(vc, collect_error, fault);
    xmlSetStructuredErrorFunc(NULL, quiet);
    int valid = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    if (valid != 0) {
        if (fault->code == F_NONE)
            fault_set(fault, F_INVALID_STRUCTURE, NULL, "the document does not conform to the 特定健診 schema (hc08)");
        goto fail;
    }
    return doc;
fail:
    xmlFreeDoc(doc);
    return NULL;
}

int cda_check(const char *xml, size_t len, struct fault *fault)
{
    struct cda_checkup c = {0};
    xmlDocPtr doc = load(xml, len, &c, fault);
    xmlFreeDoc(doc);
    return doc ? 0 : -1;
}

/* The address's own text, beside its postalCode element: kept whole,
 * the prefecture it begins with read from it. */
static void read_address(const xmlNode *addr, struct demographics *d)
{
    for (const xmlNode *n = addr ? addr->children : NULL; n; n = n->next)
        if (n->type == XML_TEXT_NODE && n->content && !demographics_set(d, DEMO_ADDRESS, (const char *)n->content,
                                                                        (size_t)-1))
            return;
}

/* The insurance card's numbers, each an id of the patientRole under its
 * MHLW root. */
static void read_card(const xmlNode *role, struct demographics *d)
{
    static const struct {
        const char *root;
        enum demographics_text f;
    } ids[] = {{"1.2.392.200119.6.101", DEMO_INSURER},
               {"1.2.392.200119.6.204", DEMO_SYMBOL},
               {"1.2.392.200119.6.205", DEMO_NUMBER},
               {"1.2.392.200119.6.211", DEMO_BRANCH}};
    for (const xmlNode *n = role ? role->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST "id"))
            for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
                if (attr(n, "root") && !strcmp(attr(n, "root"), ids[i].root))
                    demographics_set(d, ids[i].f, attr(n, "extension"), (size_t)-1);
}

/* The person examined (recordTarget/patientRole): the card's numbers,
 * name, sex by the MHLW code system, date of birth, address and phone;
 * what is malformed is left out, as these are kept beside the results,
 * not needed for them. */
static void read_person(const xmlNode *root, struct demographics *d)
{
    const xmlNode *role = child(child(root, "recordTarget"), "patientRole"), *patient = child(role, "patient");
    const xmlNode *addr = child(role, "addr");
    const xmlNode *gender = child(patient, "administrativeGenderCode"), *postal = child(addr, "postalCode");
    const char *system = attr(gender, "codeSystem"), *tel = attr(child(role, "telecom"), "value");
    d->from = "cda";
    if (system && !strcmp(system, "1.2.392.200119.6.1104"))
        demographics_sex(d, attr(gender, "code"));
    demographics_birth(d, attr(child(patient, "birthTime"), "value"));
    xmlChar *text = postal ? xmlNodeGetContent(postal) : NULL;
    demographics_postal(d, (const char *)text);
    xmlFree(text);
    text = child(patient, "name") ? xmlNodeGetContent(child(patient, "name")) : NULL;
    demographics_set(d, DEMO_NAME, (const char *)text, (size_t)-1);
    xmlFree(text);
    if (tel && !strncmp(tel, "tel:", 4))
        demographics_set(d, DEMO_PHONE, tel + 4, (size_t)-1);
    read_address(addr, d);
    read_card(role, d);
}

static json_object *text_of(const xmlNode *n)
{
    xmlChar *s = n ? xmlNodeGetContent(n) : NULL;
    size_t len = s ? strlen((const char *)s) : 0, a = 0;
    while (a < len && strchr(" \t\r\n", s[a]))
        a++;
    while (len > a && strchr(" \t\r\n", s[len - 1]))
        len--;
    json_object *o = len > a && utf8_valid((const char *)s + a, len - a)
                         ? json_object_new_string_len((const char *)s + a, (int)(len - a))
                         : NULL;
    xmlFree(s);
    return o;
}

static void add_one(json_object *o, const char *key, json_object *item)
{
    json_object *list = json_object_new_array();
    json_object_array_add(list, item);
    json_object_object_add(o, key, list);
}

/* The examining institution (documentationOf/serviceEvent/performer's
 * representedOrganization: 実施機関番号, name, phone, address) as a FHIR
 * Organization, for the document's Encounter. -1 out of memory. */
static int read_institution(const xmlNode *root, struct buf *out)
{
    const xmlNode *org = child(child(child(child(child(root, "documentationOf"), "serviceEvent"), "performer"),
                                     "assignedEntity"),
                               "representedOrganization");
    json_object *name = text_of(child(org, "name"));
    if (!name)
        return 0;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "resourceType", json_object_new_string("Organization"));
    const xmlNode *id = child(org, "id"), *addr = child(org, "addr");
    const char *code = attr(id, "extension"), *root_oid = attr(id, "root");
    if (code && root_oid && !strcmp(root_oid, "1.2.392.200119.6.102") && utf8_valid(code, strlen(code))) {
        json_object *ident = json_object_new_object();
        json_object_object_add(ident, "system", json_object_new_string("urn:oid:1.2.392.200119.6.102"));
        json_object_object_add(ident, "value", json_object_new_string(code));
        add_one(o, "identifier", ident);
    }
    json_object_object_add(o, "name", name);
    const char *tel = attr(child(org, "telecom"), "value");
    if (tel && utf8_valid(tel, strlen(tel))) {
        json_object *t = json_object_new_object();
        json_object_object_add(t, "system", json_object_new_string("phone"));
        json_object_object_add(t, "value", json_object_new_string(strncmp(tel, "tel:", 4) ? tel : tel + 4));
        add_one(o, "telecom", t);
    }
    struct demographics where = {0};
    read_address(addr, &where);
    xmlChar *postal = child(addr, "postalCode") ? xmlNodeGetContent(child(addr, "postalCode")) : NULL;
    demographics_postal(&where, (const char *)postal);
    xmlFree(postal);
    if (where.text[DEMO_ADDRESS] || where.postal_code[0]) {
        json_object *a = json_object_new_object();
        if (where.text[DEMO_ADDRESS])
            json_object_object_add(a, "text", json_object_new_string(where.text[DEMO_ADDRESS]));
        if (where.postal_code[0])
            json_object_object_add(a, "postalCode", json_object_new_string(where.postal_code));
        json_object_object_add(a, "country", json_object_new_string("JP"));
        add_one(o, "address", a);
    }
    int rc = where.failed ? -1 : 0;
    demographics_free(&where);
    size_t n;
    const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    if (!s || buf_append(out, s, n))
        rc = -1;
    json_object_put(o);
    return rc;
}

int cda_read(const char *xml, size_t len, struct cda_checkup *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    xmlDocPtr doc = load(xml, len, out, fault);
    if (!doc)
        return -1;
    int rc = -1;
    struct walk w = {.c = out, .fault = fault};
    read_person(xmlDocGetRootElement(doc), &out->person);
    if (read_institution(xmlDocGetRootElement(doc), &out->institution) || out->person.failed) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (walk(&w, child(xmlDocGetRootElement(doc), "component")))
        goto out;
    if (out->nresults == 0) {
        fault_set(fault, F_MISSING, NULL, "the document holds no checkup result with a value");
        goto out;
    }
    rc = 0;
out:
    xmlFreeDoc(doc);
    if (rc)
        cda_checkup_free(out);
    return rc;
}

void cda_checkup_free(struct cda_checkup *c)
{
    for (size_t i = 0; i < c->nresults; i++)
        buf_wipe(&c->results[i].value);
    demographics_free(&c->person);
    buf_free(&c->institution);
    free(c->results);
    c->results = NULL;
    c->nresults = 0;
}
