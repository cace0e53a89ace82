/* Exports to the person (R4.3): the current version of every record as a
 * FHIR R4 Bundle (Patient/$everything), the vital signs and checkup values
 * as CSV, the checkup results of one day as a 健診結果報告書 document
 * Bundle (its parts: export_checkup.c); and (export_files.c) the SPHR package, the お薬手帳 text and a
 * day's 特定健診 CDA. Like the disclosure they read from one snapshot —
 * these stream a page at a time; the package, the text and the CDA are
 * made whole in memory first (one person's data) — close with the export
 * period after an announced termination, and each is an entry in the
 * handling history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "access/gate.h"
#include "formats/fhirtime.h"
#include "formats/patient_write.h"
#include "formats/vital_codes.h"
#include "service/export_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"
#include "util/log.h"

void export_shift_jis(struct export *e)
{
    e->shift_jis = 1;
}

struct audit_job {
    struct job job;
    const struct actor *a;
    const char *subject, *what;
    enum decision d;
};

static int audit_run(struct job *j, struct store *st)
{
    struct audit_job *x = (struct audit_job *)j;
    return gate_record(st, x->a, ACT_DISCLOSURE, x->subject, NULL, x->what, x->d);
}

static int prepare(void *arg, struct store *rd)
{
    struct export *e = arg;
    return export_still_open(rd, &e->closed_on);
}

/* Who the person is, for the documents of their own export; none known
 * (or none that opens: logged) is no obstacle. */
static int open_person(struct export *e)
{
    int err = person_demographics_load(e->snap.rd, e->snap.person, e->snap.key, &e->person, NULL);
    e->has_person = err == PHR_OK;
    if (err == PHR_ECRYPTO || err == PHR_EIO)
        log_event(LOG_ERROR, "export.demographics_unreadable", NULL);
    return err == PHR_ENOTFOUND || err == PHR_ECRYPTO || err == PHR_EIO ? PHR_OK : err;
}

/* The お薬手帳's patient record: the newest imported text's, as it was,
 * unless the person has corrected their details since (or no text had
 * one): then written from what they say now. */
static int okusuri_patient(struct export *e)
{
    if (!e->has_person || (e->patient && e->person.from && strcmp(e->person.from, "person")))
        return PHR_OK;
    struct buf line = {0};
    if (patient_jahis(&e->person, e->patient, &line)) {
        buf_wipe(&line);
        return PHR_OK; /* the name, sex or birth date is not known */
    }
    char *s = strndup(line.data, line.len);
    buf_wipe(&line);
    if (!s)
        return PHR_ENOMEM;
    free(e->patient);
    e->patient = s;
    return PHR_OK;
}

int export_open(struct service *svc, const struct actor *a, const char *subject, enum export_format format,
                const char *arg, struct export **out, struct fault *fault)
{
    *out = NULL;
    const char *day = format == EXPORT_CHECKUP || format == EXPORT_CDA ? arg : NULL;
    static const char *const what[] = {[EXPORT_FHIR] = "export:fhir", [EXPORT_CSV] = "export:csv",
                                       [EXPORT_SPHR] = "export:sphr", [EXPORT_CHECKUP] = "export:checkup",
                                       [EXPORT_JAHIS] = "export:jahis", [EXPORT_CDA] = "export:cda",
                                       [EXPORT_PHR] = "export:phr"};
    int by_day = format == EXPORT_CHECKUP || format == EXPORT_CDA;
    int64_t lo = 0, hi = 0;
    if (by_day && (!day || strlen(day) != 10 || fhirtime_parse(day, FHIRTIME_DATETIME, 9 * 60, &lo, &hi)))
        return fault_set(fault, F_BAD_REQUEST, NULL, "the checkup's day is a date: YYYY-MM-DD");
    enum decision dec = subject && strlen(subject) <= ID_LEN ? gate_decide(a, ACT_DISCLOSURE, subject) : GATE_DENY;
    struct audit_job job = {.job = {.run = audit_run}, .a = a, .subject = subject, .d = dec, .what = what[format]};
    if (dec == GATE_DENY) {
        if (writer_call(svc->writer, &job.job) != PHR_OK)
            return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        return fault_set(fault, F_NOT_FOUND, NULL, "no such patient");
    }
    struct export *e = calloc(1, sizeof *e);
    if (!e)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    e->format = format;
    e->day_lo = lo;
    e->day_hi = hi;
    if (day)
        snprintf(e->day, sizeof e->day, "%s", day);
    int err = snapshot_open(svc, subject, prepare, e, &e->snap);
    if (!err)
        err = open_person(e);
    int none = !err && ((by_day && (err = export_find_checkup(e)) == PHR_ENOTFOUND) ||
                        (format == EXPORT_JAHIS && (err = export_find_medication(e)) == PHR_ENOTFOUND));
    if (!err && format == EXPORT_JAHIS && arg) {
        free(e->patient);
        err = (e->patient = strdup(arg)) ? PHR_OK : PHR_ENOMEM;
    }
    if (!err && format == EXPORT_JAHIS && !arg)
        err = okusuri_patient(e);
    int nameless = !err && format == EXPORT_JAHIS && !e->patient;
    if (nameless) {
        export_close(e);
        return fault_set(fault, F_MISSING, NULL,
                         "an お薬手帳 text starts with the patient's name, sex and birth date, which the service "
                         "does not know of you yet: enter them under your details (基本情報), "
                         "or give name, sex (1 male, 2 female) and birth (YYYYMMDD)");
    }
    if (!err)
        err = writer_call(svc->writer, &job.job);
    if (err) {
        int64_t closed_on = e->closed_on;
        export_close(e);
        if (err == PHR_EPERM)
            return export_closed_fault(svc, closed_on, fault);
        if (none && format == EXPORT_JAHIS)
            return fault_set(fault, F_NOT_FOUND, NULL, "there is no medication to write as an お薬手帳 text");
        if (none)
            return fault_set(fault, F_NOT_FOUND, NULL, "no checkup results on %s", day);
        if (err == PHR_ENOTFOUND)
            return fault_set(fault, F_NOT_FOUND, NULL, "no such patient");
        return fault_set(fault, F_UNAVAILABLE, NULL, "the export could not be started");
    }
    *out = e;
    return 0;
}

/* One CSV field, quoted when it must be (RFC 4180). A field a spreadsheet
 * would run as a formula (= + - @, or a tab or CR first: OWASP's CSV
 * injection) is written as text, behind a quote mark: a display or a note
 * typed by anyone reaches the person's and recipients' spreadsheets. */
static int csv_field(struct buf *b, const char *s, int last)
{
    s = s ? s : "";
    int formula = s[0] && strchr("=+-@\t\r", s[0]);
    int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if ((quote && buf_puts(b, "\"")) || (formula && buf_puts(b, "'")))
        return -1;
    for (const char *p = s; *p; p++)
        if ((*p == '"' && buf_puts(b, "\"")) || buf_append(b, p, 1))
            return -1;
    return (quote && buf_puts(b, "\"")) || buf_puts(b, last ? "\r\n" : ",");
}

static const char *str_at(json_object *o, const char *k1, int i, const char *k2)
{
    json_object *a, *x, *v;
    if (!json_object_object_get_ex(o, k1, &a) || !(x = json_object_array_get_idx(a, (size_t)i)) ||
        !json_object_object_get_ex(x, k2, &v))
        return NULL;
    return json_object_get_string(v);
}

/* The name of the coding the record is indexed by (a result kept as a file
 * sent it may carry a hospital's code first), else of the first. */
static const char *indexed_display(json_object *code, const struct record_row *r)
{
    json_object *codings;
    if (!code || !json_object_object_get_ex(code, "coding", &codings) || !json_object_is_type(codings, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(codings); i++) {
        json_object *c = json_object_array_get_idx(codings, i), *s, *v, *d;
        if (json_object_object_get_ex(c, "system", &s) && json_object_object_get_ex(c, "code", &v) &&
            json_object_object_get_ex(c, "display", &d) && !strcmp(json_object_get_string(s), r->code_system) &&
            !strcmp(json_object_get_string(v), r->code))
            return json_object_get_string(d);
    }
    return str_at(code, "coding", 0, "display");
}

/* effective (or the start of the period), its end (a period's, else
 * empty), code system, code, name, value, unit (a quantity's), value
 * system and value display (a coded value's: its code is the value),
 * systolic, diastolic, category, source, recorded at */
static int csv_row(struct buf *b, const struct record_row *r, json_object *o)
{
    json_object *code = NULL, *v = NULL, *q = NULL, *comps = NULL;
    char recorded[32], sys[32] = "", dia[32] = "";
    clock_format_ms(r->recorded_at, recorded);
    json_object_object_get_ex(o, "code", &code);
    const char *name = indexed_display(code, r), *value = NULL, *unit = NULL, *value_system = NULL, *value_display = NULL;
    if (json_object_object_get_ex(o, "valueQuantity", &q)) {
        value = json_object_object_get_ex(q, "value", &v) ? json_object_get_string(v) : NULL;
        unit = json_object_object_get_ex(q, "code", &v) ? json_object_get_string(v) : NULL;
    } else if (json_object_object_get_ex(o, "valueCodeableConcept", &q)) {
        value = str_at(q, "coding", 0, "code");
        value_system = str_at(q, "coding", 0, "system");
        value_display = str_at(q, "coding", 0, "display");
    } else if (json_object_object_get_ex(o, "valueString", &v)) {
        value = json_object_get_string(v);
    } else if (json_object_object_get_ex(o, "component", &comps)) {
        for (size_t i = 0; i < json_object_array_length(comps); i++) {
            json_object *c = json_object_array_get_idx(comps, i), *cc, *cq, *cv;
            int part = json_object_object_get_ex(c, "code", &cc) ? vital_codes_bp_part(cc) : -1;
            if (part < 0 || !json_object_object_get_ex(c, "valueQuantity", &cq) ||
                !json_object_object_get_ex(cq, "value", &cv))
                continue; /* a part not measured (dataAbsentReason) stays blank */
            snprintf(part == VITAL_SYSTOLIC ? sys : dia, sizeof sys, "%s", json_object_get_string(cv));
        }
        unit = "mm[Hg]";
    }
    json_object *eff, *period = NULL, *end;
    const char *when = json_object_object_get_ex(o, "effectiveDateTime", &eff) ? json_object_get_string(eff) : NULL;
    const char *until = NULL;
    if (!when && json_object_object_get_ex(o, "effectivePeriod", &period)) {
        when = json_object_object_get_ex(period, "start", &eff) ? json_object_get_string(eff) : NULL;
        until = json_object_object_get_ex(period, "end", &end) ? json_object_get_string(end) : NULL;
    }
    return csv_field(b, when, 0) || csv_field(b, until, 0) || csv_field(b, r->code_system, 0) || csv_field(b, r->code, 0) ||
           csv_field(b, name, 0) || csv_field(b, value, 0) || csv_field(b, unit, 0) || csv_field(b, value_system, 0) ||
           csv_field(b, value_display, 0) || csv_field(b, sys, 0) ||
           csv_field(b, dia, 0) || csv_field(b, r->category, 0) || csv_field(b, r->source, 0) ||
           csv_field(b, recorded, 1);
}

struct page {
    struct export *e;
    struct buf *b;
};

static int put_record(void *arg, const struct record_row *r)
{
    struct page *p = arg;
    struct export *e = p->e;
    if (!r->current || !export_allows(e, r))
        return PHR_OK;
    if (e->format == EXPORT_CSV && strcmp(r->resource_type, "Observation"))
        return PHR_OK;
    if (e->format == EXPORT_CHECKUP && !export_of_checkup(e, r))
        return PHR_OK;
    int err;
    if (e->format == EXPORT_FHIR || e->format == EXPORT_PHR) {
        /* The body is opened straight into what is sent (a Bundle's entry,
         * or a .phr file's line); a record that does not open is taken out
         * again, and named at the end. */
        size_t mark = p->b->len;
        int line = e->format == EXPORT_PHR;
        err = !line && (buf_puts(p->b, ",{\"fullUrl\":\"") || buf_puts(p->b, r->resource_type) ||
                        buf_puts(p->b, "/") || buf_puts(p->b, r->id) || buf_puts(p->b, "\",\"resource\":"))
                  ? PHR_ENOMEM
                  : snapshot_append_part(&e->snap, r, "body", p->b);
        if (err == PHR_ECRYPTO) {
            p->b->len = mark;
            return PHR_OK;
        }
        err = err ? err : buf_puts(p->b, line ? "\n" : "}") ? PHR_ENOMEM : export_note_provided(e, r);
        e->count += err == PHR_OK;
        return err;
    }
    if ((err = snapshot_open_part(&e->snap, r, "body")) != PHR_OK)
        return err == PHR_ECRYPTO ? PHR_OK : err; /* logged, and left out */
    struct buf *plain = &e->snap.plain;
    if (e->format == EXPORT_CHECKUP) {
        err = export_checkup_entry(p->b, e, r, plain);
    } else {
        json_object *o = json_tokener_parse(buf_cstr(plain));
        err = !o ? PHR_EIO : csv_row(p->b, r, o) ? PHR_ENOMEM : PHR_OK;
        json_object_put(o);
    }
    buf_wipe(plain);
    e->count += err == PHR_OK;
    return err;
}

static int start(struct export *e, struct buf *b)
{
    char now[32];
    clock_format_ms(clock_now_ms(), now);
    if (e->format == EXPORT_CSV)
        return buf_puts(b, "effective,effective_end,code_system,code,name,value,unit,value_system,value_display,"
                           "systolic,diastolic,category,source,recorded_at\r\n");
    if (e->format == EXPORT_CHECKUP)
        return export_checkup_head(e, b, now);
    if (e->format == EXPORT_PHR) {
        /* A .phr file (HL7's PHR IG): its cover Composition, the Patient,
         * then the records, a line each. */
        struct sphr_cover cover;
        struct buf name = {0};
        export_cover(e, &cover, &name);
        id_uuid7(e->cover_id);
        int rc = sphr_cover_write(&cover, e->cover_id, b) ||
                 patient_fhir(e->has_person ? &e->person : NULL, e->snap.person, clock_now_ms(), b) ||
                 buf_puts(b, "\n");
        buf_wipe(&name);
        return rc;
    }
    /* The Patient is the person as the service knows them: an id (JP Core's
     * JP_Patient wants an identifier: the same id as a URN), and their
     * demographics. */
    return buf_printf(b,
                      "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"timestamp\":\"%s\",\"entry\":["
                      "{\"fullUrl\":\"Patient/%s\",\"resource\":",
                      now, e->snap.person) ||
           patient_fhir(e->has_person ? &e->person : NULL, e->snap.person, clock_now_ms(), b) || buf_puts(b, "}");
}

/* A .phr file's last lines: what could not be opened, as the IG has it
 * (an OperationOutcome in the stream), and the Provenance of the file. */
static int phr_end(struct export *e, struct buf *b)
{
    struct sphr_cover cover;
    struct buf name = {0};
    export_cover(e, &cover, &name);
    buf_wipe(&name);
    return (e->snap.nunreadable && (snapshot_outcome_resource(&e->snap, b) || buf_puts(b, "\n"))) ||
           sphr_provenance_write(&cover, e->cover_id, b);
}

static int step(struct export *e, struct buf *b)
{
    if (e->done)
        return 0;
    int err = PHR_OK;
    if (!e->started) {
        e->started = 1;
        err = start(e, b) ? PHR_ENOMEM : PHR_OK;
    } else {
        int64_t before = e->cursor;
        struct page p = {e, b};
        struct store *rd = e->snap.rd;
        err = store_record_page(rd, e->snap.person, 1, e->cursor, PAGE, put_record, &p, &e->cursor);
        if (!err && e->cursor == before) {
            e->done = 1;
            if ((e->format == EXPORT_FHIR || e->format == EXPORT_CHECKUP) &&
                (snapshot_outcome(&e->snap, b, 0, 0) || buf_puts(b, "]}\n")))
                err = PHR_ENOMEM;
            if (e->format == EXPORT_PHR && phr_end(e, b))
                err = PHR_ENOMEM;
        }
    }
    if (err) {
        log_event(LOG_ERROR, "export.failed", "error", phr_strerror(err), NULL);
        return -1;
    }
    return 1;
}

/* The whole of one format, from the start of the snapshot. */
int export_whole(struct export *e, enum export_format f, struct buf *b)
{
    e->format = f;
    e->started = e->done = 0;
    e->cursor = 0;
    int rc;
    while ((rc = step(e, b)) == 1)
        ;
    return rc;
}

int export_next(struct export *e, struct buf *b)
{
    if (e->format == EXPORT_JAHIS || e->format == EXPORT_CDA) {
        if (e->done)
            return 0;
        e->done = 1;
        return (e->format == EXPORT_JAHIS ? export_okusuri(e, b) : export_cda(e, b)) ? -1 : 1;
    }
    if (e->format != EXPORT_SPHR)
        return step(e, b);
    if (e->done)
        return 0;
    if (e->provided) {
        e->done = 1;
        return buf_append(b, e->package.data, e->package.len) ? -1 : 1;
    }
    int rc = export_package(e, b);
    e->done = 1;
    return rc ? -1 : 1;
}

void export_close(struct export *e)
{
    if (!e)
        return;
    snapshot_close(&e->snap);
    buf_free(&e->ids);
    buf_free(&e->questions);
    for (size_t i = 0; i < e->nfound; i++)
        json_object_put(e->found[i]);
    free(e->found);
    free(e->patient);
    for (int k = 0; k < 3; k++)
        free(e->kept[k]);
    demographics_free(&e->person);
    json_object_put(e->institution);
    provision_list_free(&e->provided_items);
    buf_wipe(&e->package);
    free(e);
}
