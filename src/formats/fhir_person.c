#include "formats/fhir_person.h"

#include <string.h>

#include "formats/json.h"
#include "util/buf.h"

#define EN_REPRESENTATION "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation"
#define COVERAGE_EXT "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Coverage_InsuredPerson"
#define INSURER_SYSTEM "urn:oid:1.2.392.100495.20.3.61"

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static json_object *item(json_object *a, size_t i)
{
    return a && json_object_is_type(a, json_type_array) && i < json_object_array_length(a)
               ? json_object_array_get_idx(a, i)
               : NULL;
}

static size_t count(json_object *a)
{
    return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* A HumanName as one text: its text, else family and the given names
 * with a space between (as Japanese writes them: family first). */
static void put_name(struct demographics *d, enum demographics_text f, json_object *name)
{
    if (!demographics_set(d, f, json_get_str(name, "text"), (size_t)-1))
        return;
    struct buf b = {0};
    const char *family = json_get_str(name, "family");
    if (family)
        buf_puts(&b, family);
    json_object *given = member(name, "given");
    for (size_t i = 0; i < count(given); i++)
        if (json_object_is_type(item(given, i), json_type_string))
            buf_printf(&b, "%s%s", b.len ? " " : "", json_object_get_string(item(given, i)));
    if (buf_failed(&b))
        d->failed = 1;
    else if (b.len)
        demographics_set(d, f, b.data, b.len);
    buf_free(&b);
}

/* JP Core writes the name twice: as written (IDE) and in kana (SYL); a
 * name without that extension is the name as written. */
static void names(struct demographics *d, json_object *list)
{
    for (size_t i = 0; i < count(list); i++) {
        json_object *n = item(list, i), *ext = member(n, "extension");
        const char *how = NULL;
        for (size_t k = 0; k < count(ext); k++) {
            const char *url = json_get_str(item(ext, k), "url");
            if (url && !strcmp(url, EN_REPRESENTATION))
                how = json_get_str(item(ext, k), "valueCode");
        }
        if (how && !strcmp(how, "SYL"))
            put_name(d, DEMO_NAME_KANA, n);
        else if ((how && !strcmp(how, "IDE")) || !d->text[DEMO_NAME])
            put_name(d, DEMO_NAME, n);
    }
}

static void address(struct demographics *d, json_object *a)
{
    demographics_postal(d, json_get_str(a, "postalCode"));
    if (!demographics_set(d, DEMO_ADDRESS, json_get_str(a, "text"), (size_t)-1))
        return;
    /* No text: JP Core's parts, prefecture (state) first. */
    struct buf b = {0};
    const char *parts[] = {json_get_str(a, "state"), json_get_str(a, "city")};
    for (size_t i = 0; i < 2; i++)
        if (parts[i])
            buf_puts(&b, parts[i]);
    json_object *line = member(a, "line");
    for (size_t i = 0; i < count(line); i++)
        if (json_object_is_type(item(line, i), json_type_string))
            buf_puts(&b, json_object_get_string(item(line, i)));
    if (buf_failed(&b))
        d->failed = 1;
    else if (b.len)
        demographics_set(d, DEMO_ADDRESS, b.data, b.len);
    demographics_prefecture(d, json_get_str(a, "state"));
    buf_free(&b);
}

static void patient(struct demographics *d, json_object *res)
{
    json_object *telecom = member(res, "telecom");
    demographics_sex(d, json_get_str(res, "gender"));
    demographics_birth(d, json_get_str(res, "birthDate"));
    names(d, member(res, "name"));
    if (count(member(res, "address")))
        address(d, item(member(res, "address"), 0));
    for (size_t i = 0; i < count(telecom); i++) {
        const char *system = json_get_str(item(telecom, i), "system");
        if (system && !strcmp(system, "phone") &&
            !demographics_set(d, DEMO_PHONE, json_get_str(item(telecom, i), "value"), (size_t)-1))
            break;
    }
}

/* JP Core's Coverage names the card's 記号, 番号 and 枝番 by extension. */
static void coverage(struct demographics *d, json_object *res)
{
    static const struct {
        const char *suffix;
        enum demographics_text f;
    } parts[] = {{"Symbol", DEMO_SYMBOL}, {"Number", DEMO_NUMBER}, {"SubNumber", DEMO_BRANCH}};
    json_object *ext = member(res, "extension");
    size_t base = strlen(COVERAGE_EXT);
    for (size_t k = 0; k < count(ext); k++) {
        const char *url = json_get_str(item(ext, k), "url");
        for (size_t i = 0; url && i < sizeof parts / sizeof parts[0]; i++)
            if (!strncmp(url, COVERAGE_EXT, base) && !strcmp(url + base, parts[i].suffix))
                demographics_set(d, parts[i].f, json_get_str(item(ext, k), "valueString"), (size_t)-1);
    }
}

/* The insurer: an Organization identified by its 保険者番号. */
static void organization(struct demographics *d, json_object *res)
{
    json_object *ids = member(res, "identifier");
    for (size_t i = 0; i < count(ids); i++) {
        const char *system = json_get_str(item(ids, i), "system");
        if (system && !strcmp(system, INSURER_SYSTEM))
            demographics_set(d, DEMO_INSURER, json_get_str(item(ids, i), "value"), (size_t)-1);
    }
}

void fhir_person_read(struct demographics *d, json_object *res)
{
    static const struct {
        const char *type;
        void (*read)(struct demographics *, json_object *);
    } readers[] = {{"Patient", patient}, {"Coverage", coverage}, {"Organization", organization}};
    const char *type = json_get_str(res, "resourceType");
    for (size_t i = 0; type && i < sizeof readers / sizeof readers[0]; i++)
        if (!strcmp(type, readers[i].type)) {
            d->from = "fhir";
            readers[i].read(d, res);
        }
}
