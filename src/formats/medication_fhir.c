#include "formats/medication_fhir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/dispense_parties.h"
#include "formats/jahis_text.h"
#include "formats/vitals.h"

#define SYS_YJ "urn:oid:1.2.392.100495.20.1.73"
#define SYS_GENERIC "urn:oid:1.2.392.100495.20.1.81"
#define SYS_GTIN "https://www.gs1.org/gtin"
#define SYS_RP_NUMBER "urn:oid:1.2.392.100495.20.3.81"
#define SYS_RP_DRUG_NUMBER "urn:oid:1.2.392.100495.20.3.82"

const char *medication_code_system(const struct jahis_drug *g)
{
    size_t n = strlen(g->code);
    switch (g->code_type) {
    case 2: return "urn:phr:drug-code:receipt";     /* レセプト電算処理システム用コード */
    case 3: return "urn:phr:drug-code:mhlw";        /* 厚労省コード (薬価基準収載医薬品コード) */
    case 4: return SYS_YJ;
    case 6:
        return n == 9 ? "urn:oid:1.2.392.200119.4.403.1"
               : n == 7 ? "urn:oid:1.2.392.200119.4.403.2"
               : n == 13 ? "urn:oid:1.2.392.200119.4.402.1" : "urn:phr:drug-code:hot";
    }
    return "urn:phr:drug-name";
}

int medication_data_category(int creator)
{
    return creator == 2 ? 3 : 1;
}

const char *medication_source(int creator, const char *file_source)
{
    return creator == 2 ? "self-reported" : file_source;
}

/* A JAHIS number (digits, maybe a fraction) as a JSON number: leading
 * zeros dropped, which JSON does not allow. */
static int number(struct buf *b, const char *s)
{
    while (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
        s++;
    return buf_puts(b, s);
}

static int note(struct buf *b, int *first, const char *label, const char *text)
{
    int e = buf_puts(b, *first ? ",\"note\":[" : ",") || buf_puts(b, "{\"text\":");
    *first = 0;
    if (e)
        return -1;
    if (!label)
        return buf_json_str(b, text) || buf_puts(b, "}");
    struct buf t = {0};
    e = buf_printf(&t, "%s: %s", label, text) || buf_json_str(b, buf_cstr(&t)) || buf_puts(b, "}");
    buf_free(&t);
    return e;
}

/* A note record with what it says beside its text: 601's 入力日 as the
 * annotation's time, 411's 提供情報種別 (30, 31, 99) in an extension, FHIR
 * having no element for it. */
static int note_record(struct buf *b, int *first, const struct jahis_note *n)
{
    char day[11];
    int64_t lo, hi;
    int dated = n->extra && !strcmp(n->label, "患者等記入") && !jahis_date(n->extra, day, &lo, &hi);
    int typed = n->extra && *n->extra && !strcmp(n->label, "医療機関等提供情報");
    int e = note(b, first, n->label, n->text);
    if (e || (!dated && !typed))
        return e;
    b->len--; /* the annotation's closing brace: more follows */
    if (dated)
        e = buf_printf(b, ",\"time\":\"%s\"", day);
    else
        e = buf_puts(b, ",\"extension\":[{\"url\":\"" JAHIS_PROVISION_TYPE "\",\"valueCode\":") ||
            buf_json_str(b, n->extra) || buf_puts(b, "}]");
    return e || buf_puts(b, "}");
}

/* What record 201's 用量 is, by record 301's 調剤単位 (JAHIS follows the
 * prescription's convention): with 日分 a day's dose (内服: JP Core's
 * rateRatio, per 1 day), with 回分 a time's (頓服: doseQuantity), else the
 * whole amount handed over (外用, 注射). */
enum dose_kind { DOSE_DAILY, DOSE_TIME, DOSE_TOTAL };

static enum dose_kind dose_kind_of(const struct jahis_rp *rp)
{
    return !strcmp(rp->unit, "日分") ? DOSE_DAILY : !strcmp(rp->unit, "回分") ? DOSE_TIME : DOSE_TOTAL;
}

/* The total handed over: a day's or a time's dose times the days or
 * times, or the whole amount itself; "" when it is not said. */
static void total_of(enum dose_kind k, const char *dose, const char *amount, char out[32])
{
    out[0] = '\0';
    if (*dose && k == DOSE_TOTAL)
        snprintf(out, 32, "%.10g", strtod(dose, NULL));
    else if (*dose && *amount)
        snprintf(out, 32, "%.10g", strtod(dose, NULL) * strtod(amount, NULL));
}

/* The dose as JP Core writes it: a day's as a rate per 1 day, a time's as
 * the dose; the whole amount is the quantity alone. */
static int dose_and_rate(struct buf *b, enum dose_kind k, const struct jahis_drug *g)
{
    if (k == DOSE_DAILY)
        return buf_puts(b, "\"doseAndRate\":[{\"rateRatio\":{\"numerator\":{\"value\":") || number(b, g->dose) ||
               buf_puts(b, ",\"unit\":") || buf_json_str(b, g->unit) ||
               buf_puts(b, "},\"denominator\":{\"value\":1,\"unit\":\"日\",\"system\":\"" UCUM "\",\"code\":\"d\"}}}]");
    return buf_puts(b, "\"doseAndRate\":[{\"doseQuantity\":{\"value\":") || number(b, g->dose) ||
           buf_puts(b, ",\"unit\":") || buf_json_str(b, g->unit) || buf_puts(b, "}}]");
}

int medication_dispense(struct buf *b, const char *id, const struct import_meta *m,
                        const struct jahis_dispensing *d, const struct jahis_drug *g)
{
    const struct jahis_rp *rp = &d->rps[g->rp];
    /* JP Core identifies a dispensed medicine by its RP number and its
     * number within the RP. */
    size_t within = 1;
    for (const struct jahis_drug *x = d->drugs; x < g; x++)
        within += x->rp == g->rp;
    char total[32];
    enum dose_kind kind = dose_kind_of(rp);
    total_of(kind, g->dose, rp->amount, total);
    /* The medicine, written once: the prescription contained names it too. */
    struct buf concept = {0};
    int e = buf_puts(&concept, "{\"coding\":[{\"system\":") || buf_json_str(&concept, medication_code_system(g)) ||
            buf_puts(&concept, ",\"code\":") || buf_json_str(&concept, *g->code ? g->code : g->name) ||
            buf_puts(&concept, ",\"display\":") || buf_json_str(&concept, g->name) || buf_puts(&concept, "}");
    if (!e && *g->generic_code)
        e = buf_puts(&concept, ",{\"system\":\"" SYS_GENERIC "\",\"code\":") ||
            buf_json_str(&concept, g->generic_code) || buf_puts(&concept, ",\"display\":") ||
            buf_json_str(&concept, *g->generic_name ? g->generic_name : g->name) || buf_puts(&concept, "}");
    e = e || buf_puts(&concept, "],\"text\":") || buf_json_str(&concept, g->name) || buf_puts(&concept, "}");
    e = e || buf_puts(b, "{\"resourceType\":\"MedicationDispense\"") ||
        import_common(b, id, m, medication_data_category(g->creator), medication_source(g->creator, m->source), NULL) ||
        buf_printf(b, ",\"identifier\":[{\"system\":\"" SYS_RP_NUMBER "\",\"value\":\"%d\"},{\"system\":\""
                      SYS_RP_DRUG_NUMBER "\",\"value\":\"%zu\"}]", rp->rp, within) ||
        buf_puts(b, ",\"status\":\"completed\",\"medicationCodeableConcept\":") || buf_puts(b, buf_cstr(&concept)) ||
        dispense_parties_fhir(b, d, m->person_id, buf_cstr(&concept));
    buf_free(&concept);
    if (!e && *total)
        e = buf_printf(b, ",\"quantity\":{\"value\":%s,\"unit\":", total) || buf_json_str(b, g->unit) || buf_puts(b, "}");
    if (!e && *rp->amount && !strcmp(rp->unit, "日分"))
        e = buf_puts(b, ",\"daysSupply\":{\"value\":") || number(b, rp->amount) ||
            buf_puts(b, ",\"unit\":\"日\",\"system\":\"" UCUM "\",\"code\":\"d\"}");

    e = e || buf_printf(b, ",\"whenHandedOver\":\"%s\"", d->date);
    int dosed = kind != DOSE_TOTAL && *g->dose;
    if (!e && (*rp->usage || dosed)) {
        e = buf_puts(b, ",\"dosageInstruction\":[{");
        if (!e && *rp->usage)
            e = buf_puts(b, "\"text\":") || buf_json_str(b, rp->usage) || buf_puts(b, dosed ? "," : "");
        e = e || (dosed && dose_and_rate(b, kind, g)) || buf_puts(b, "}]");
    }
    int first = 1;
    if (!e && (*d->clinic.name || *d->doctor.name)) {
        struct buf t = {0};
        e = buf_printf(&t, "%s%s%s%s%s%s", d->clinic.name, *d->clinic.name && *d->doctor.name ? " " : "",
                       d->doctor.name, *d->doctor.department ? "（" : "", d->doctor.department,
                       *d->doctor.department ? "）" : "") ||
            note(b, &first, "処方", buf_cstr(&t));
        buf_free(&t);
    }
    for (size_t i = 0; !e && i < rp->nnotes; i++)
        e = note_record(b, &first, &rp->notes[i]);
    for (size_t i = 0; !e && i < d->nnotes; i++)
        e = note_record(b, &first, &d->notes[i]);
    if (!e && !first)
        e = buf_puts(b, "]");
    return e || buf_puts(b, ",\"supportingInformation\":[{\"reference\":\"DocumentReference/") ||
           buf_json_escape(b, m->document_id, strlen(m->document_id)) || buf_puts(b, "\"}]}");
}

int medication_statement(struct buf *b, const char *id, const struct import_meta *m, const struct jahis_otc *o)
{
    int e = buf_puts(b, "{\"resourceType\":\"MedicationStatement\"") ||
            import_common(b, id, m, medication_data_category(o->creator), medication_source(o->creator, m->source), NULL) ||
            buf_printf(b, ",\"status\":\"%s\",\"category\":{\"coding\":[{\"system\":"
                          "\"http://terminology.hl7.org/CodeSystem/medication-statement-category\",\"code\":\"%s\"}]}",
                       o->end[0] ? "completed" : "active", o->creator == 2 ? "patientspecified" : "community") ||
            buf_puts(b, ",\"medicationCodeableConcept\":{");
    if (!e && *o->jan)
        e = buf_puts(b, "\"coding\":[{\"system\":\"" SYS_GTIN "\",\"code\":") || buf_json_str(b, o->jan) ||
            buf_puts(b, ",\"display\":") || buf_json_str(b, o->name) || buf_puts(b, "}],");
    e = e || buf_puts(b, "\"text\":") || buf_json_str(b, o->name) || buf_puts(b, "}");
    if (!e && (o->start[0] || o->end[0])) {
        e = buf_puts(b, ",\"effectivePeriod\":{");
        if (!e && o->start[0])
            e = buf_printf(b, "\"start\":\"%s\"%s", o->start, o->end[0] ? "," : "");
        if (!e && o->end[0])
            e = buf_printf(b, "\"end\":\"%s\"", o->end);
        e = e || buf_puts(b, "}");
    }
    int first = 1;
    for (size_t i = 0; !e && i < o->ningredients; i++) {
        const struct jahis_ingredient *g = &o->ingredients[i];
        e = note(b, &first, "成分", g->name);
        /* Its code, FHIR having no ingredient on a statement: beside the note. */
        if (!e && *g->code) {
            b->len--; /* the note's closing brace: its code follows */
            e = buf_puts(b, ",\"extension\":[{\"url\":\"" JAHIS_INGREDIENT_CODE "\",\"valueCoding\":{\"system\":\""
                            JAHIS_INGREDIENT_CODE ":") ||
                buf_json_escape(b, g->code_type, strlen(g->code_type)) || buf_puts(b, "\",\"code\":") ||
                buf_json_str(b, g->code) || buf_puts(b, "}}]}");
        }
    }
    if (!e && !first)
        e = buf_puts(b, "]");
    return e || buf_puts(b, ",\"derivedFrom\":[{\"reference\":\"DocumentReference/") ||
           buf_json_escape(b, m->document_id, strlen(m->document_id)) || buf_puts(b, "\"}]}");
}

int medication_remark_kept(const struct jahis_remark *r)
{
    return r->kind == JAHIS_ALLERGY || r->kind == JAHIS_SIDE_EFFECT;
}

int medication_remark(struct buf *b, const char *id, const struct import_meta *m, const struct jahis_remark *r,
                      const char *day)
{
    /* JAHIS does not say whether it still holds: a remark the notebook
     * carries is taken as current (FHIR's ait-1 wants a clinical status). */
    return buf_puts(b, "{\"resourceType\":\"AllergyIntolerance\"") ||
           import_common_as(b, id, m, medication_data_category(r->creator), medication_source(r->creator, m->source),
                            "http://jpfhir.jp/fhir/core/StructureDefinition/JP_AllergyIntolerance", "patient") ||
           buf_printf(b, ",\"clinicalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
                         "allergyintolerance-clinical\",\"code\":\"active\"}]},\"type\":\"%s\",\"code\":{\"text\":",
                      r->kind == JAHIS_ALLERGY ? "allergy" : "intolerance") ||
           buf_json_str(b, r->text) || buf_printf(b, "},\"recordedDate\":\"%s\",\"note\":[{\"text\":\"%s\"}]", day,
                                                 r->kind == JAHIS_ALLERGY ? "アレルギー歴（お薬手帳）"
                                                                          : "副作用歴（お薬手帳）") ||
           buf_puts(b, "}");
}

int medication_document(struct buf *b, const struct import_meta *m, const struct jahis_doc *doc, const char *day,
                        size_t bytes)
{
    char title[96];
    snprintf(title, sizeof title, "お薬手帳 %s（JAHISTC%02d）", day, doc->version % 100);
    return import_document(b, m, "{\"text\":\"電子版お薬手帳\"}", title, day, bytes);
}
