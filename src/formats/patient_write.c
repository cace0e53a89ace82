#include "formats/patient_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "formats/jahis_text.h"
#include "util/clock.h"

static void add_str(json_object *o, const char *key, const char *s)
{
    if (s)
        json_object_object_add(o, key, json_object_new_string(s));
}

/* A HumanName: JP Core writes the name as written (IDE) and in kana (SYL). */
static int add_name(json_object *names, const struct demographics *d, enum demographics_text f, const char *how)
{
    char *family, *given;
    if (demographics_name_parts(d, f, &family, &given))
        return 0;
    json_object *n = json_object_new_object(), *ext = json_object_new_array(), *e = json_object_new_object();
    json_object_object_add(e, "url",
                           json_object_new_string("http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation"));
    json_object_object_add(e, "valueCode", json_object_new_string(how));
    json_object_array_add(ext, e);
    json_object_object_add(n, "extension", ext);
    json_object_object_add(n, "use", json_object_new_string("official"));
    add_str(n, "text", d->text[f]);
    add_str(n, "family", family);
    if (given) {
        json_object *g = json_object_new_array();
        json_object_array_add(g, json_object_new_string(given));
        json_object_object_add(n, "given", g);
    }
    json_object_array_add(names, n);
    int whole = given != NULL;
    free(family);
    free(given);
    return whole;
}

int patient_fhir(const struct demographics *d, const char *id, int64_t now_ms, struct buf *out)
{
    json_object *p = json_object_new_object(), *ids = json_object_new_array(), *urn = json_object_new_object();
    char ref[64], now[32];
    if (!p || !ids || !urn) {
        json_object_put(p), json_object_put(ids), json_object_put(urn);
        return -1;
    }
    snprintf(ref, sizeof ref, "urn:uuid:%s", id);
    add_str(p, "resourceType", "Patient");
    add_str(p, "id", id);
    add_str(urn, "system", "urn:ietf:rfc:3986");
    add_str(urn, "value", ref);
    json_object_array_add(ids, urn);
    json_object_object_add(p, "identifier", ids);
    int whole = 0;
    if (d) {
        json_object *names = json_object_new_array();
        whole = add_name(names, d, DEMO_NAME, "IDE");
        add_name(names, d, DEMO_NAME_KANA, "SYL");
        if (json_object_array_length(names))
            json_object_object_add(p, "name", names);
        else
            json_object_put(names);
        if (d->text[DEMO_PHONE]) {
            json_object *t = json_object_new_array(), *phone = json_object_new_object();
            add_str(phone, "system", "phone");
            add_str(phone, "value", d->text[DEMO_PHONE]);
            add_str(phone, "use", "home");
            json_object_array_add(t, phone);
            json_object_object_add(p, "telecom", t);
        }
        add_str(p, "gender", d->sex[0] ? d->sex : NULL);
        add_str(p, "birthDate", d->birth_date[0] ? d->birth_date : NULL);
        if (d->text[DEMO_ADDRESS] || d->postal_code[0]) {
            json_object *a = json_object_new_array(), *addr = json_object_new_object();
            add_str(addr, "text", d->text[DEMO_ADDRESS]);
            add_str(addr, "postalCode", d->postal_code[0] ? d->postal_code : NULL);
            add_str(addr, "country", "JP");
            json_object_array_add(a, addr);
            json_object_object_add(p, "address", a);
        }
        whole = whole && d->sex[0] && d->birth_date[0] && d->text[DEMO_ADDRESS];
    }
    /* The profile is claimed only when what it requires is there. */
    if (whole) {
        json_object *meta = json_object_new_object(), *profile = json_object_new_array();
        clock_format_ms(now_ms, now);
        add_str(meta, "lastUpdated", now);
        json_object_array_add(profile, json_object_new_string(PATIENT_ECS_PROFILE));
        json_object_object_add(meta, "profile", profile);
        json_object_object_add(p, "meta", meta);
    }
    size_t n;
    const char *s = json_object_to_json_string_length(p, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    int rc = !s || buf_append(out, s, n) ? -1 : 0;
    json_object_put(p);
    return rc;
}

static int cda_attr(struct buf *b, const char *name, const char *value)
{
    return buf_printf(b, " %s=\"", name) || buf_markup_escape(b, value) || buf_puts(b, "\"");
}

int patient_cda(const struct demographics *d, const char *id, struct buf *out)
{
    static const struct {
        enum demographics_text f;
        const char *root;
    } card[] = {{DEMO_INSURER, "1.2.392.200119.6.101"},
                {DEMO_SYMBOL, "1.2.392.200119.6.204"},
                {DEMO_NUMBER, "1.2.392.200119.6.205"},
                {DEMO_BRANCH, "1.2.392.200119.6.211"}};
    int err = buf_puts(out, "<recordTarget><patientRole><id") || cda_attr(out, "root", id) || buf_puts(out, "/>");
    for (size_t i = 0; d && i < sizeof card / sizeof card[0]; i++)
        if (d->text[card[i].f])
            err = err || buf_puts(out, "<id") || cda_attr(out, "extension", d->text[card[i].f]) ||
                  cda_attr(out, "root", card[i].root) || buf_puts(out, "/>");
    if (d && (d->postal_code[0] || d->text[DEMO_ADDRESS])) {
        err = err || buf_puts(out, "<addr>");
        if (d->postal_code[0])
            err = err || buf_printf(out, "<postalCode>%s</postalCode>", d->postal_code);
        if (d->text[DEMO_ADDRESS])
            err = err || buf_markup_escape(out, d->text[DEMO_ADDRESS]);
        err = err || buf_puts(out, "</addr>");
    }
    if (d && d->text[DEMO_PHONE])
        err = err || buf_puts(out, "<telecom value=\"tel:") || buf_markup_escape(out, d->text[DEMO_PHONE]) ||
              buf_puts(out, "\"/>");
    const char *name = d ? d->text[DEMO_NAME] ? d->text[DEMO_NAME] : d->text[DEMO_NAME_KANA] : NULL;
    if (d && (name || d->sex[0] || d->birth_date[0])) {
        err = err || buf_puts(out, "<patient>");
        if (name)
            err = err || buf_puts(out, "<name>") || buf_markup_escape(out, name) || buf_puts(out, "</name>");
        if (d->sex[0])
            err = err || buf_printf(out, "<administrativeGenderCode code=\"%s\" codeSystem=\"1.2.392.200119.6.1104\"/>",
                                    !strcmp(d->sex, "male") ? "1" : "2");
        if (d->birth_date[0])
            err = err || buf_printf(out, "<birthTime value=\"%.4s%.2s%.2s\"/>", d->birth_date, d->birth_date + 5,
                                    d->birth_date + 8);
        err = err || buf_puts(out, "</patient>");
    }
    return err || buf_puts(out, "</patientRole></recordTarget>") ? -1 : 0;
}


/* Field k (from 0) of a record, as a pointer into it and its length. */
static size_t kept_field(const char *line, int k, const char **at)
{
    const char *p = line;
    for (int i = 0; p && i < k; i++)
        p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
    *at = p;
    return p ? strcspn(p, ",") : 0;
}

int patient_jahis(const struct demographics *d, const char *kept, struct buf *out)
{
    if (!d->text[DEMO_NAME] || !d->sex[0] || !d->birth_date[0])
        return -1;
    int err = buf_puts(out, "1,") || jahis_field(out, d->text[DEMO_NAME]) ||
              buf_printf(out, ",%s,%.4s%.2s%.2s,", !strcmp(d->sex, "male") ? "1" : "2", d->birth_date,
                         d->birth_date + 5, d->birth_date + 8) ||
              buf_puts(out, d->postal_code) || buf_puts(out, ",") || jahis_field(out, d->text[DEMO_ADDRESS]) ||
              buf_puts(out, ",") || jahis_field(out, d->text[DEMO_PHONE]);
    for (int k = 7; k <= 9; k++) {
        const char *at;
        size_t n = kept ? kept_field(kept, k, &at) : 0;
        err = err || buf_puts(out, ",") || (n && buf_append(out, at, n));
    }
    err = err || buf_puts(out, ",") || jahis_field(out, d->text[DEMO_NAME_KANA]);
    /* Trailing empty fields are left off, as JAHIS's own samples do. */
    while (!err && out->len && out->data[out->len - 1] == ',')
        out->data[--out->len] = '\0';
    return err ? -1 : 0;
}
