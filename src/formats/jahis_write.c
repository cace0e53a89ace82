#include "formats/jahis_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/dispense_parties.h"
#include "formats/jahis_text.h"
#include "formats/json.h"
#include "formats/medicine.h"

/* The code type of a coding's system, as formats/medication_fhir.c names them. */
static int code_type(const char *system)
{
    if (!system)
        return 1;
    if (!strcmp(system, "urn:phr:drug-code:receipt"))
        return 2;
    if (!strcmp(system, "urn:phr:drug-code:mhlw"))
        return 3;
    if (!strcmp(system, "urn:oid:1.2.392.100495.20.1.73"))
        return 4;
    if (!strncmp(system, "urn:oid:1.2.392.200119.4.40", 27) || !strcmp(system, "urn:phr:drug-code:hot"))
        return 6;
    return 1;
}

static json_object *at(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static json_object *idx(json_object *a, size_t i)
{
    return a && json_object_is_type(a, json_type_array) ? json_object_array_get_idx(a, i) : NULL;
}


static const char *num(json_object *q)
{
    json_object *v = at(q, "value");
    return v ? json_object_get_string(v) : "";
}

/* YYYY-MM-DD… as YYYYMMDD. */
static void date8(const char *s, char out[9])
{
    out[0] = '\0';
    if (s && strlen(s) >= 10)
        snprintf(out, 9, "%.4s%.2s%.2s", s, s + 5, s + 8);
}

static const struct {
    const char *label;
    int record, rp;            /* rp: the record names the RP */
} notes[] = {
    {"薬品補足", 281, 1}, {"薬品服用注意", 291, 1}, {"用法補足", 311, 1}, {"処方服用注意", 391, 1},
    {"服用注意", 401, 0}, {"医療機関等提供情報", 411, 0}, {"残薬確認", 421, 0}, {"備考", 501, 0}, {"患者等記入", 601, 0},
};

struct dispense {
    json_object *r;
    char day[9];
    const char *pharmacy;
};

static int by_day_desc(const void *a, const void *b)
{
    const struct dispense *x = a, *y = b;
    int c = strcmp(y->day, x->day);
    return c ? c : strcmp(x->pharmacy, y->pharmacy);
}

/* A note "label: text" of the resource, by label; NULL if none. */
static const char *note_text(json_object *r, const char *label, size_t *from)
{
    json_object *ns = at(r, "note");
    size_t n = strlen(label);
    for (; ns && *from < json_object_array_length(ns); (*from)++) {
        const char *t = json_get_str(idx(ns, *from), "text");
        if (t && !strncmp(t, label, n) && !strncmp(t + n, ": ", 2)) {
            (*from)++;
            return t + n + 2;
        }
    }
    return NULL;
}

/* What ends a note record after its text: 601's 入力日 (the annotation's
 * time), 411's 提供情報種別 (99, その他, when not kept), the creator. */
static int note_end(struct buf *b, int record, json_object *note)
{
    if (record == 601) {
        char day[9];
        date8(json_get_str(note, "time"), day);
        return buf_printf(b, ",%s\r\n", day);
    }
    if (record != 411)
        return buf_puts(b, ",1\r\n");
    json_object *ext = idx(at(note, "extension"), 0);
    const char *url = json_get_str(ext, "url"), *type = json_get_str(ext, "valueCode");
    int kept = url && type && !strcmp(url, JAHIS_PROVISION_TYPE) && strspn(type, "0123456789") == strlen(type);
    return buf_printf(b, ",%s,1\r\n", kept ? type : "99");
}

/* The notes of medicine r whose records lie in [lo, hi]: the RP's (naming
 * rp) or, for a dispensing's, written once from its first medicine, to
 * which they were copied. */
static int notes_of(struct buf *b, json_object *r, size_t rp, int lo, int hi)
{
    int e = 0;
    for (size_t k = 0; !e && k < sizeof notes / sizeof notes[0]; k++) {
        if (notes[k].record < lo || notes[k].record > hi)
            continue;
        size_t from = 0;
        const char *t;
        while (!e && (t = note_text(r, notes[k].label, &from))) {
            e = buf_printf(b, "%d,", notes[k].record) || (notes[k].rp && buf_printf(b, "%zu,", rp)) || jahis_field(b, t) ||
                note_end(b, notes[k].record, idx(at(r, "note"), from - 1));
        }
    }
    return e;
}

/* Records 201's 用量 and 301's 調剤数量 and unit, from how the dispense
 * states its dose (JAHIS follows the prescription's convention): a rate per
 * 1 day (JP Core's 内服, or an お薬手帳's 日分) is a day's dose for so many
 * 日分; a time's dose with a quantity handed over and no days is 頓服, so
 * many 回分; a dose with days (written so before rates were kept) stays a
 * day's; else the quantity is the whole amount. */
struct jahis_dose {
    char dose[32], amount[32];
    const char *unit, *amount_unit;
};

static void dose_of(json_object *r, json_object *di, struct jahis_dose *out)
{
    json_object *dr = idx(at(di, "doseAndRate"), 0), *per = at(at(dr, "rateRatio"), "numerator"),
                *den = at(at(dr, "rateRatio"), "denominator"), *dq = at(dr, "doseQuantity"), *qty = at(r, "quantity"),
                *days = at(r, "daysSupply");
    const char *den_code = json_get_str(den, "code");
    int daily = per && *num(per) && den_code && !strcmp(den_code, "d") && !strcmp(num(den), "1");
    json_object *dose = daily ? per : dq && *num(dq) ? dq : qty;
    snprintf(out->dose, sizeof out->dose, "%s", *num(dose) ? num(dose) : "1");
    out->unit = json_get_str(dose, "unit");
    out->amount[0] = '\0';
    out->amount_unit = "";
    if ((daily || dose == dq) && days && *num(days)) {
        snprintf(out->amount, sizeof out->amount, "%s", num(days));
        out->amount_unit = "日分";
    } else if (dose == dq && qty && strtod(num(dq), NULL) > 0) {
        snprintf(out->amount, sizeof out->amount, "%.6g", strtod(num(qty), NULL) / strtod(num(dq), NULL));
        out->amount_unit = "回分";
    }
}

static int dispensing(struct buf *b, struct dispense *d, size_t n)
{
    int parties = 0;
    int e = buf_printf(b, "5,%s,1\r\n", d[0].day) || dispense_parties_jahis(d[0].r, b, &parties);
    /* A dispense stored before its parties were kept: what it says of them. */
    if (!e && !parties && *d[0].pharmacy)
        e = buf_puts(b, "11,") || jahis_field(b, d[0].pharmacy) || buf_puts(b, ",,,,,,,1\r\n");
    size_t from = 0;
    const char *clinic = parties ? NULL : note_text(d[0].r, "処方", &from);
    if (!e && clinic)
        e = buf_puts(b, "51,") || jahis_field(b, clinic) || buf_puts(b, ",,,,1\r\n");
    for (size_t i = 0; !e && i < n; i++) {
        json_object *r = d[i].r, *mc = medicine_concept(r), *di = idx(at(r, "dosageInstruction"), 0);
        json_object *c0 = idx(at(mc, "coding"), 0), *c1 = idx(at(mc, "coding"), 1);
        struct jahis_dose dose;
        dose_of(r, di, &dose);
        const char *name = medicine_name(r);
        const char *generic = json_get_str(c1, "system");
        int type = code_type(json_get_str(c0, "system"));
        size_t rp = i + 1;
        e = buf_printf(b, "201,%zu,", rp) || jahis_field(b, name) || buf_puts(b, ",") ||
            buf_puts(b, dose.dose) || buf_puts(b, ",") || jahis_field(b, dose.unit) ||
            buf_printf(b, ",%d,", type) || jahis_field(b, type == 1 ? "" : json_get_str(c0, "code")) || buf_puts(b, ",1");
        if (!e && generic && !strcmp(generic, "urn:oid:1.2.392.100495.20.1.81"))
            e = buf_puts(b, ",") || jahis_field(b, json_get_str(c1, "display")) || buf_puts(b, ",2,") ||
                jahis_field(b, json_get_str(c1, "code"));
        e = e || buf_puts(b, "\r\n") || notes_of(b, r, rp, 281, 291);
        /* The usage, with the days (日分) or times (回分) the dose is for;
         * 剤形 1 (内服) for a day's dose, 3 (頓服) for a time's, 5 (外用) for
         * a whole amount. */
        e = e || buf_printf(b, "301,%zu,", rp) || jahis_field(b, json_get_str(di, "text")) ||
            buf_printf(b, ",%s,%s,%d,1,,1\r\n", dose.amount, dose.amount_unit,
                       !strcmp(dose.amount_unit, "日分") ? 1 : !strcmp(dose.amount_unit, "回分") ? 3 : 5) ||
            notes_of(b, r, rp, 311, 391);
    }
    return e || notes_of(b, d[0].r, 0, 401, 601);
}

/* Who made a record, as JAHIS says it: 2 the person (R1.1 category 3), 1 medical staff. */
static int creator_of(json_object *r)
{
    json_object *tags = at(at(r, "meta"), "tag");
    for (size_t i = 0; tags && i < json_object_array_length(tags); i++) {
        const char *sys = json_get_str(idx(tags, i), "system"), *code = json_get_str(idx(tags, i), "code");
        if (sys && code && !strcmp(sys, "urn:phr:data-category"))
            return strcmp(code, "3") ? 1 : 2;
    }
    return 2;
}

static int otc(struct buf *b, json_object *r, int seq)
{
    json_object *mc = medicine_concept(r), *period = at(r, "effectivePeriod");
    json_object *c0 = idx(at(mc, "coding"), 0);
    char start[9], end[9];
    date8(json_get_str(period, "start") ? json_get_str(period, "start") : json_get_str(r, "effectiveDateTime"), start);
    date8(json_get_str(period, "end"), end);
    const char *jan = json_get_str(c0, "system") && !strcmp(json_get_str(c0, "system"), "https://www.gs1.org/gtin")
                          ? json_get_str(c0, "code") : "";
    int who = creator_of(r);
    int e = buf_puts(b, "3,") || jahis_field(b, medicine_name(r)) ||
            buf_printf(b, ",%s,%s,%d,%d,", start, end, who, seq) || jahis_field(b, jan) || buf_puts(b, "\r\n");
    size_t f = 0;
    const char *t;
    while (!e && (t = note_text(r, "成分", &f))) {
        json_object *ext = idx(at(idx(at(r, "note"), f - 1), "extension"), 0), *code = at(ext, "valueCoding");
        const char *url = json_get_str(ext, "url"), *sys = json_get_str(code, "system"), *value = json_get_str(code, "code");
        size_t n = strlen(JAHIS_INGREDIENT_CODE);
        int coded = url && sys && value && !strcmp(url, JAHIS_INGREDIENT_CODE) && !strncmp(sys, url, n) && sys[n] == ':';
        e = buf_printf(b, "31,%d,", seq) || jahis_field(b, t) || buf_puts(b, ",") || jahis_field(b, coded ? sys + n + 1 : "1") ||
            buf_puts(b, ",") || jahis_field(b, coded ? value : "") || buf_printf(b, ",%d\r\n", who);
    }
    return e;
}

/* 患者特記 (record 2) of an AllergyIntolerance: 1 アレルギー歴, 2 副作用歴
 * (an intolerance); the text is what the allergy is called. */
static int remark(struct buf *b, json_object *r)
{
    const char *t = json_get_str(r, "resourceType"), *type = json_get_str(r, "type");
    if (!t || strcmp(t, "AllergyIntolerance"))
        return 0;
    json_object *code = at(r, "code");
    const char *text = json_get_str(code, "text") ? json_get_str(code, "text")
                                                  : json_get_str(idx(at(code, "coding"), 0), "display");
    if (!text || !*text)
        return 0; /* a coded allergy without a name: the notebook has no code for it */
    return buf_printf(b, "2,%d,", type && !strcmp(type, "intolerance") ? 2 : 1) || jahis_field(b, text) ||
           buf_printf(b, ",%d\r\n", creator_of(r));
}

int jahis_write(json_object *const *resources, size_t n, const struct jahis_kept *kept, struct buf *out)
{
    struct dispense *d = calloc(n ? n : 1, sizeof *d);
    if (!d)
        return -1;
    size_t nd = 0;
    int e = buf_puts(out, "JAHISTC08,2\r\n") || buf_puts(out, kept->patient) || buf_puts(out, "\r\n");
    /* The allergies and side effects first (record 2), as the notebook
     * shows them to the pharmacist before any medicine. */
    for (size_t i = 0; !e && i < n; i++)
        e = remark(out, resources[i]);
    e = e || (kept->remarks && buf_puts(out, kept->remarks));
    int seq = 0;
    for (size_t i = 0; !e && i < n; i++) {
        const char *t = json_get_str(resources[i], "resourceType");
        if (t && !strcmp(t, "MedicationStatement"))
            e = otc(out, resources[i], ++seq);
        else if (t && !strcmp(t, "MedicationDispense")) {
            d[nd].r = resources[i];
            date8(json_get_str(resources[i], "whenHandedOver") ? json_get_str(resources[i], "whenHandedOver")
                                                                : json_get_str(resources[i], "whenPrepared"),
                  d[nd].day);
            const char *ph = json_get_str(at(idx(at(resources[i], "performer"), 0), "actor"), "display");
            d[nd].pharmacy = ph ? ph : "";
            nd += d[nd].day[0] != '\0';
        }
    }
    e = e || (kept->memos && buf_puts(out, kept->memos));
    qsort(d, nd, sizeof *d, by_day_desc);
    for (size_t i = 0; !e && i < nd;) {
        size_t j = i + 1;
        while (j < nd && !strcmp(d[j].day, d[i].day) && !strcmp(d[j].pharmacy, d[i].pharmacy))
            j++;
        e = dispensing(out, d + i, j - i);
        i = j;
    }
    free(d);
    return e || (kept->pharmacist && buf_puts(out, kept->pharmacist));
}
