#include "formats/dispense_parties.h"

#include <stdio.h>
#include <string.h>

#include "formats/jahis_text.h"
#include "formats/json.h"

#define SYS_INSTITUTION "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no"

/* A 医療機関コード: 都道府県 (2 digits), 点数表 (1) and コード (7). */
static int institution_code(const struct jahis_party *p, char out[11])
{
    if (strlen(p->prefecture) != 2 || strlen(p->table) != 1 || strlen(p->code) != 7)
        return -1;
    snprintf(out, 11, "%s%s%s", p->prefecture, p->table, p->code);
    return strspn(out, "0123456789") == 10 ? 0 : -1;
}

static int telecom(struct buf *b, const char *phone)
{
    return *phone && (buf_puts(b, ",\"telecom\":[{\"system\":\"phone\",\"value\":") || buf_json_str(b, phone) ||
                      buf_puts(b, "}]"));
}

static int organization(struct buf *b, const char *id, const struct jahis_party *p)
{
    char code[11];
    int e = buf_printf(b, "{\"resourceType\":\"Organization\",\"id\":\"%s\"", id);
    if (!institution_code(p, code))
        e = e || buf_printf(b, ",\"identifier\":[{\"system\":\"" SYS_INSTITUTION "\",\"value\":\"%s\"}]", code);
    e = e || buf_puts(b, ",\"name\":") || buf_json_str(b, p->name) || telecom(b, p->phone);
    if (*p->address || *p->postal) {
        e = e || buf_puts(b, ",\"address\":[{");
        if (*p->address)
            e = e || buf_puts(b, "\"text\":") || buf_json_str(b, p->address) || buf_puts(b, ",");
        if (*p->postal)
            e = e || buf_puts(b, "\"postalCode\":") || buf_json_str(b, p->postal) || buf_puts(b, ",");
        e = e || buf_puts(b, "\"country\":\"JP\"}]");
    }
    return e || buf_puts(b, "}");
}

static int practitioner(struct buf *b, const char *id, const struct jahis_party *p)
{
    return buf_printf(b, "{\"resourceType\":\"Practitioner\",\"id\":\"%s\",\"name\":[{\"text\":", id) ||
           buf_json_str(b, p->name) || buf_puts(b, "}]") || telecom(b, p->phone) || buf_puts(b, "}");
}

int dispense_parties_fhir(struct buf *b, const struct jahis_dispensing *d, const char *person, const char *concept)
{
    int pharmacy = *d->pharmacy.name, pharmacist = *d->pharmacist.name, clinic = *d->clinic.name,
        doctor = *d->doctor.name;
    if (!pharmacy && !pharmacist && !clinic && !doctor)
        return 0;
    int e = buf_puts(b, ",\"contained\":["), n = 0;
    if (pharmacy)
        e = e || organization(b, "pharmacy", &d->pharmacy), n++;
    if (pharmacist)
        e = e || (n++ && buf_puts(b, ",")) || practitioner(b, "pharmacist", &d->pharmacist);
    if (clinic)
        e = e || (n++ && buf_puts(b, ",")) || organization(b, "prescriber-org", &d->clinic);
    if (doctor)
        e = e || (n++ && buf_puts(b, ",")) || practitioner(b, "prescriber", &d->doctor);
    if (clinic || doctor) {
        /* The doctor at the institution, in the department: the requester
         * of the prescription this dispense carried out. */
        e = e || buf_puts(b, ",{\"resourceType\":\"PractitionerRole\",\"id\":\"prescriber-role\"") ||
            (doctor && buf_puts(b, ",\"practitioner\":{\"reference\":\"#prescriber\"}")) ||
            (clinic && buf_puts(b, ",\"organization\":{\"reference\":\"#prescriber-org\"}")) ||
            (*d->doctor.department &&
             (buf_puts(b, ",\"specialty\":[{\"text\":") || buf_json_str(b, d->doctor.department) || buf_puts(b, "}]"))) ||
            buf_puts(b, "},{\"resourceType\":\"MedicationRequest\",\"id\":\"prescription\",\"status\":\"completed\","
                        "\"intent\":\"order\",\"medicationCodeableConcept\":") ||
            buf_puts(b, concept) || buf_puts(b, ",\"subject\":{\"reference\":\"Patient/") ||
            buf_json_escape(b, person, strlen(person)) ||
            buf_puts(b, "\"},\"requester\":{\"reference\":\"#prescriber-role\"}}");
    }
    e = e || buf_puts(b, "]");
    if (pharmacy || pharmacist) {
        e = e || buf_puts(b, ",\"performer\":[");
        if (pharmacy)
            e = e || buf_puts(b, "{\"actor\":{\"reference\":\"#pharmacy\",\"display\":") ||
                buf_json_str(b, d->pharmacy.name) || buf_puts(b, "}}");
        if (pharmacist)
            e = e || buf_puts(b, pharmacy ? "," : "") || buf_puts(b, "{\"actor\":{\"reference\":\"#pharmacist\"}}");
        e = e || buf_puts(b, "]");
    }
    if (clinic || doctor)
        e = e || buf_puts(b, ",\"authorizingPrescription\":[{\"reference\":\"#prescription\"}]");
    return e ? -1 : 0;
}

/* --- back to the text --- */

static json_object *contained(json_object *r, const char *id)
{
    json_object *list, *c;
    if (!json_object_object_get_ex(r, "contained", &list) || !json_object_is_type(list, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        const char *cid = json_get_str(c = json_object_array_get_idx(list, i), "id");
        if (cid && !strcmp(cid, id))
            return c;
    }
    return NULL;
}

static json_object *first(json_object *o, const char *key)
{
    json_object *a;
    return o && json_object_object_get_ex(o, key, &a) && json_object_is_type(a, json_type_array)
               ? json_object_array_get_idx(a, 0)
               : NULL;
}


/* The 都道府県, 点数表 and コード of an institution's identifier. */
static int code_fields(struct buf *b, json_object *org)
{
    json_object *id = first(org, "identifier");
    const char *v = json_get_str(id, "value"), *sys = json_get_str(id, "system");
    if (!v || !sys || strcmp(sys, SYS_INSTITUTION) || strlen(v) != 10)
        return buf_puts(b, ",,,,");
    return buf_printf(b, ",%.2s,%.1s,%.7s,", v, v + 2, v + 3);
}

static const char *name_of(json_object *who)
{
    const char *s = json_get_str(who, "name");
    return s ? s : json_get_str(first(who, "name"), "text");
}

int dispense_parties_jahis(json_object *r, struct buf *b, int *written)
{
    json_object *pharmacy = contained(r, "pharmacy"), *pharmacist = contained(r, "pharmacist"),
                *clinic = contained(r, "prescriber-org"), *doctor = contained(r, "prescriber"),
                *role = contained(r, "prescriber-role");
    *written = pharmacy || pharmacist || clinic || doctor;
    int e = 0;
    if (pharmacy) {
        json_object *a = first(pharmacy, "address");
        e = buf_puts(b, "11,") || jahis_field(b, name_of(pharmacy)) || code_fields(b, pharmacy) ||
            jahis_field(b, json_get_str(a, "postalCode")) || buf_puts(b, ",") || jahis_field(b, json_get_str(a, "text")) ||
            buf_puts(b, ",") || jahis_field(b, json_get_str(first(pharmacy, "telecom"), "value")) || buf_puts(b, ",1\r\n");
    }
    if (pharmacist)
        e = e || buf_puts(b, "15,") || jahis_field(b, name_of(pharmacist)) || buf_puts(b, ",") ||
            jahis_field(b, json_get_str(first(pharmacist, "telecom"), "value")) || buf_puts(b, ",1\r\n");
    if (clinic) {
        e = e || buf_puts(b, "51,") || jahis_field(b, name_of(clinic)) || code_fields(b, clinic) || buf_puts(b, "1\r\n");
    }
    if (doctor)
        e = e || buf_puts(b, "55,") || jahis_field(b, name_of(doctor)) || buf_puts(b, ",") ||
            jahis_field(b, json_get_str(first(role, "specialty"), "text")) || buf_puts(b, ",1\r\n");
    return e ? -1 : 0;
}
