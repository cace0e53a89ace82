#include "formats/device_csv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/utf8.h"

#define MAX_COLUMNS 32
#define JST_MIN (9 * 60)

enum col {
    C_IGNORED, C_EFFECTIVE, C_EFFECTIVE_END, C_SYS, C_DIA, C_PULSE, C_WEIGHT, C_TEMP, C_SPO2, C_GLUCOSE, C_STEPS,
    C_CODE_SYSTEM, C_CODE, C_NAME, C_VALUE, C_UNIT, C_VALUE_SYSTEM, C_VALUE_DISPLAY, C_SOURCE, C_COUNT
};

static const struct {
    const char *name;
    enum col c;
} headers[] = {
    {"effective", C_EFFECTIVE}, {"日時", C_EFFECTIVE}, {"測定日時", C_EFFECTIVE}, {"date", C_EFFECTIVE},
    {"effective_end", C_EFFECTIVE_END},
    {"systolic", C_SYS}, {"最高血圧", C_SYS}, {"diastolic", C_DIA}, {"最低血圧", C_DIA},
    {"pulse", C_PULSE}, {"脈拍", C_PULSE}, {"weight", C_WEIGHT}, {"体重", C_WEIGHT},
    {"temperature", C_TEMP}, {"体温", C_TEMP}, {"spo2", C_SPO2}, {"glucose", C_GLUCOSE}, {"血糖", C_GLUCOSE},
    {"steps", C_STEPS}, {"歩数", C_STEPS}, {"code_system", C_CODE_SYSTEM}, {"code", C_CODE},
    {"name", C_NAME}, {"value", C_VALUE}, {"unit", C_UNIT}, {"value_system", C_VALUE_SYSTEM},
    {"value_display", C_VALUE_DISPLAY}, {"source", C_SOURCE},
};

/* The single-value columns and what they measure. */
static const struct {
    enum col c;
    const char *loinc, *unit;
} simple[] = {
    {C_PULSE, "8867-4", "/min"}, {C_WEIGHT, "29463-7", "kg"}, {C_TEMP, "8310-5", "Cel"},
    {C_SPO2, "59408-5", "%"}, {C_GLUCOSE, "41653-7", "mg/dL"}, {C_STEPS, "55423-8", "{steps}"},
};

struct row {
    struct buf f[MAX_COLUMNS];
    size_t n;
};

static const char *skip_bom(const char *data, size_t *len)
{
    if (*len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        *len -= 3;
        return data + 3;
    }
    return data;
}

/* One record (RFC 4180): fields into r; *p moves past its line end.
 * -1 for a quote left open, -2 for too many fields, -3 out of memory. */
static int next_row(const char **p, const char *end, struct row *r)
{
    for (size_t i = 0; i < r->n; i++)
        r->f[i].len = 0;
    r->n = 0;
    const char *s = *p;
    for (;;) {
        if (r->n == MAX_COLUMNS)
            return -2;
        struct buf *f = &r->f[r->n++];
        if (buf_append(f, "", 0))
            return -3;
        if (s < end && *s == '"') {
            for (s++;; s++) {
                if (s >= end)
                    return -1;
                if (*s == '"' && s + 1 < end && s[1] == '"')
                    s++;
                else if (*s == '"')
                    break;
                if (buf_append(f, s, 1))
                    return -3;
            }
            s++;
        } else {
            size_t n = 0; /* the input is not NUL-terminated: bounded by end */
            while (s + n < end && s[n] != ',' && s[n] != '\r' && s[n] != '\n')
                n++;
            if (buf_append(f, s, n))
                return -3;
            s += n;
        }
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        if (s < end && *s == '\r')
            s++;
        if (s < end && *s == '\n')
            s++;
        *p = s;
        return 0;
    }
}

static enum col column_of(const char *name)
{
    while (*name == ' ')
        name++;
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        size_t n = strlen(headers[i].name);
        /* "最高血圧(mmHg)", "weight (kg)": the name may carry its unit. */
        if (!strncasecmp(name, headers[i].name, n) && strchr("( （", name[n] ? name[n] : ' '))
            return headers[i].c;
    }
    return C_IGNORED;
}

int csv_sniff(const char *data, size_t len)
{
    data = skip_bom(data, &len);
    const char *nl = memchr(data, '\n', len);
    size_t n = nl ? (size_t)(nl - data) : len;
    char line[512];
    if (n >= sizeof line)
        return 0;
    memcpy(line, data, n);
    line[n] = '\0';
    for (char *save = NULL, *t = strtok_r(line, ",\r", &save); t; t = strtok_r(NULL, ",\r", &save))
        if (column_of(*t == '"' ? t + 1 : t) == C_EFFECTIVE)
            return 1;
    return 0;
}

/* "YYYY/MM/DD HH:MM[:SS]" or "YYYY-MM-DD HH:MM[:SS]" as a FHIR dateTime in
 * Japan time; anything else is passed on as it is. */
static void effective_of(const char *in, char *out, size_t cap)
{
    int y, mo, d, h, mi, sec = 0, used = 0;
    char sep1, sep2;
    if ((sscanf(in, "%4d%c%2d%c%2d %2d:%2d:%2d%n", &y, &sep1, &mo, &sep2, &d, &h, &mi, &sec, &used) == 8 ||
         sscanf(in, "%4d%c%2d%c%2d %2d:%2d%n", &y, &sep1, &mo, &sep2, &d, &h, &mi, &used) == 7) &&
        !in[used] && sep1 == sep2 && (sep1 == '/' || sep1 == '-'))
        snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d+09:00", y % 10000, mo % 100, d % 100, h % 100, mi % 100,
                 sec % 100);
    else
        snprintf(out, cap, "%s", in);
}

static int number_of(const char *s, double *v)
{
    char *end;
    if (!*s)
        return -1;
    *v = strtod(s, &end);
    return *end || !isfinite(*v) ? -1 : 0;
}

struct reader {
    struct csv_vitals *c;
    size_t cap, line;
    int64_t now;
    const char *effective, *effective_end, *source;   /* effective_end: a period's, or NULL */
    struct fault *fault;
};

int csv_vitals_add(struct csv_vitals *c, size_t *cap, const char *json, int64_t now_ms, const char *where,
                   struct fault *fault)
{
    if (c->n == CSV_MAX_MEASUREMENTS)
        return fault_set(fault, F_TOO_MANY, NULL, "more than %d measurements in one file", CSV_MAX_MEASUREMENTS);
    if (c->n == *cap) {
        size_t n = *cap ? *cap * 2 : 64;
        char **m = realloc(c->json, n * sizeof *m);
        if (!m)
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
        c->json = m;
        *cap = n;
    }
    struct fault why;
    struct vital v;
    if (vitals_parse(json, strlen(json), now_ms, JST_MIN, &v, &why))
        return fault_set(fault, why.code, NULL, "%s: %s", where, why.detail);
    int64_t lo = v.eff_lo, hi = v.eff_hi;
    vital_free(&v);
    if (!(c->json[c->n] = strdup(json)))
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    c->n++;
    c->now_ms = now_ms;
    if (!c->lo || lo > c->lo) {
        c->lo = lo;
        c->hi = hi;
    }
    return 0;
}

int csv_vital_open(const struct csv_vitals *c, size_t k, struct vital *out, struct fault *fault)
{
    return vitals_parse(c->json[k], strlen(c->json[k]), c->now_ms, JST_MIN, out, fault);
}

static int add(struct reader *rd, const char *json)
{
    char where[32];
    snprintf(where, sizeof where, "line %zu", rd->line);
    return csv_vitals_add(rd->c, &rd->cap, json, rd->now, where, rd->fault);
}

static int head(struct buf *b, struct reader *rd, const char *code)
{
    return buf_printf(b, "{\"resourceType\":\"Observation\",\"status\":\"final\",\"meta\":{\"tag\":[{\"system\":\""
                         PHR_SYS_SOURCE "\",\"code\":\"%s\"}]},\"code\":{\"coding\":[{\"system\":\"" LOINC
                         "\",\"code\":",
                      rd->source) ||
           buf_json_str(b, code) ||
           (rd->effective_end
                ? buf_puts(b, "}]},\"effectivePeriod\":{\"start\":") || buf_json_str(b, rd->effective) ||
                      buf_puts(b, ",\"end\":") || buf_json_str(b, rd->effective_end) || buf_puts(b, "}")
                : buf_puts(b, "}]},\"effectiveDateTime\":") || buf_json_str(b, rd->effective));
}

static int quantity(struct reader *rd, const char *code, double v, const char *unit)
{
    struct buf b = {0};
    int e = head(&b, rd, code) || buf_printf(&b, ",\"valueQuantity\":{\"value\":%.15g,\"unit\":", v) ||
            buf_json_str(&b, unit) || buf_puts(&b, ",\"system\":\"" UCUM "\",\"code\":") || buf_json_str(&b, unit) ||
            buf_puts(&b, "}}");
    int rc = e ? fault_set(rd->fault, F_INTERNAL, NULL, "out of memory") : add(rd, buf_cstr(&b));
    buf_free(&b);
    return rc;
}

static int pressure(struct reader *rd, double sys, double dia)
{
    struct buf b = {0};
    int e = head(&b, rd, "85354-9");
    for (int i = 0; !e && i < 2; i++)
        e = buf_printf(&b, "%s{\"code\":{\"coding\":[{\"system\":\"" LOINC "\",\"code\":\"%s\"}]},\"valueQuantity\":"
                           "{\"value\":%.15g,\"unit\":\"mmHg\",\"system\":\"" UCUM "\",\"code\":\"mm[Hg]\"}}",
                       i ? "," : ",\"component\":[", i ? "8462-4" : "8480-6", i ? dia : sys);
    e = e || buf_puts(&b, "]}");
    int rc = e ? fault_set(rd->fault, F_INTERNAL, NULL, "out of memory") : add(rd, buf_cstr(&b));
    buf_free(&b);
    return rc;
}

/* A checkup result, as the export writes one: the item table's code and
 * name; a coded value's code with its system and display, a quantity with
 * its UCUM unit, or a text. Kept as an Observation for the FHIR reader,
 * which checks it against the item table as any other (service/
 * import_parse.c). */
static int checkup_row(struct reader *rd, const char **cell)
{
    struct csv_vitals *c = rd->c;
    struct buf *b = &c->checkups;
    double v;
    if (!cell[C_VALUE])
        return fault_set(rd->fault, F_MISSING, NULL, "line %zu: the checkup result %.20s has no value", rd->line,
                         cell[C_CODE]);
    if (c->ncheckups >= CSV_MAX_MEASUREMENTS)
        return fault_set(rd->fault, F_TOO_MANY, NULL, "more than %d checkup results in one file", CSV_MAX_MEASUREMENTS);
    size_t *lines = realloc(c->checkup_lines, (c->ncheckups + 1) * sizeof *lines);
    if (!lines)
        return fault_set(rd->fault, F_INTERNAL, NULL, "out of memory");
    c->checkup_lines = lines;
    int e = buf_puts(b, c->ncheckups ? ",{\"resource\":" : "{\"resource\":") ||
            buf_puts(b, "{\"resourceType\":\"Observation\",\"status\":\"final\",\"category\":[{\"coding\":[{"
                        "\"system\":\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":"
                        "\"laboratory\"}]}],\"code\":{\"coding\":[{\"system\":\"" CHECKUP_ITEM_SYSTEM "\",\"code\":") ||
            buf_json_str(b, cell[C_CODE]) ||
            (cell[C_NAME] && (buf_puts(b, ",\"display\":") || buf_json_str(b, cell[C_NAME]))) ||
            buf_puts(b, "}]},\"effectiveDateTime\":") || buf_json_str(b, rd->effective);
    if (cell[C_VALUE_SYSTEM])
        e = e || buf_puts(b, ",\"valueCodeableConcept\":{\"coding\":[{\"system\":") ||
            buf_json_str(b, cell[C_VALUE_SYSTEM]) || buf_puts(b, ",\"code\":") || buf_json_str(b, cell[C_VALUE]) ||
            (cell[C_VALUE_DISPLAY] && (buf_puts(b, ",\"display\":") || buf_json_str(b, cell[C_VALUE_DISPLAY]))) ||
            buf_puts(b, "}]}");
    else if (cell[C_UNIT] && !number_of(cell[C_VALUE], &v))
        e = e || buf_printf(b, ",\"valueQuantity\":{\"value\":%.15g,\"unit\":", v) || buf_json_str(b, cell[C_UNIT]) ||
            buf_puts(b, ",\"system\":\"" UCUM "\",\"code\":") || buf_json_str(b, cell[C_UNIT]) || buf_puts(b, "}");
    else
        e = e || buf_puts(b, ",\"valueString\":") || buf_json_str(b, cell[C_VALUE]);
    if (e || buf_puts(b, "}}"))
        return fault_set(rd->fault, F_INTERNAL, NULL, "out of memory");
    c->checkup_lines[c->ncheckups++] = rd->line;
    return 0;
}

static int data_row(struct reader *rd, const enum col *cols, struct row *r)
{
    const char *cell[C_COUNT] = {0};
    for (size_t i = 0; i < r->n; i++)
        if (cols[i] != C_IGNORED && r->f[i].len)
            cell[cols[i]] = buf_cstr(&r->f[i]);
    char when[64], until[64];
    if (!cell[C_EFFECTIVE])
        return fault_set(rd->fault, F_MISSING, NULL, "line %zu: the date and time (effective) is empty", rd->line);
    effective_of(cell[C_EFFECTIVE], when, sizeof when);
    rd->effective = when;
    rd->effective_end = NULL;
    if (cell[C_EFFECTIVE_END]) {
        effective_of(cell[C_EFFECTIVE_END], until, sizeof until);
        rd->effective_end = until;
    }
    rd->source = cell[C_SOURCE] && !strcmp(cell[C_SOURCE], "self-measured") ? "self-measured" : "device";
    size_t before = rd->c->n;
    double a, b;
    if (cell[C_SYS] || cell[C_DIA]) {
        if (!cell[C_SYS] || !cell[C_DIA] || number_of(cell[C_SYS], &a) || number_of(cell[C_DIA], &b))
            return fault_set(rd->fault, F_INVALID_VALUE, NULL,
                             "line %zu: blood pressure needs a number in both systolic "
                             "and diastolic",
                             rd->line);
        if (pressure(rd, a, b))
            return -1;
    }
    for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++) {
        const char *s = cell[simple[k].c];
        if (!s)
            continue;
        if (number_of(s, &a))
            return fault_set(rd->fault, F_INVALID_VALUE, NULL, "line %zu: '%.20s' is not a number", rd->line, s);
        if (quantity(rd, simple[k].loinc, a, simple[k].unit))
            return -1;
    }
    const char *code = cell[C_CODE];
    if (code && strcmp(code, "85354-9")) {
        if (cell[C_CODE_SYSTEM] && !strcmp(cell[C_CODE_SYSTEM], CHECKUP_ITEM_SYSTEM))
            return checkup_row(rd, cell);
        if (cell[C_CODE_SYSTEM] && strcmp(cell[C_CODE_SYSTEM], LOINC)) {
            rd->c->skipped++;
            return 0;
        }
        if (!cell[C_VALUE] || number_of(cell[C_VALUE], &a) || !cell[C_UNIT])
            return fault_set(rd->fault, F_INVALID_VALUE, NULL, "line %zu: code %.20s needs a numeric value and a unit",
                             rd->line, code);
        if (quantity(rd, code, a, cell[C_UNIT]))
            return -1;
    }
    if (rd->c->n == before)
        rd->c->skipped++;
    return 0;
}

int csv_read(const char *data, size_t len, int64_t now_ms, struct csv_vitals *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    if (len > CSV_MAX_BYTES)
        return fault_set(fault, F_TOO_LARGE, NULL, "the file is larger than %d bytes", CSV_MAX_BYTES);
    data = skip_bom(data, &len);
    if (memchr(data, '\0', len))
        return fault_set(fault, F_INVALID_VALUE, NULL, "the file holds a NUL byte: it is not a CSV text");
    if (!utf8_valid(data, len))
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "the file is not UTF-8 text: save the CSV as UTF-8 (a device's "
                         "Shift_JIS export is not read)");
    struct row r = {0};
    enum col cols[MAX_COLUMNS] = {0};
    struct reader rd = {.c = out, .now = now_ms, .fault = fault};
    const char *p = data, *end = data + len;
    int rc = -1, have_effective = 0, ncols = 0, header = 0;
    for (rd.line = 1; p < end; rd.line++) {
        int e = next_row(&p, end, &r);
        if (e) {
            fault_set(fault, e == -3 ? F_INTERNAL : F_INVALID_STRUCTURE, NULL, "line %zu: %s", rd.line,
                      e == -1   ? "a quoted field is not closed"
                      : e == -2 ? "more than 32 columns"
                                : "out of memory");
            goto out;
        }
        if (r.n == 1 && !r.f[0].len)
            continue; /* a blank line */
        if (!header) {
            header = 1;
            ncols = (int)r.n;
            for (size_t i = 0; i < r.n; i++)
                have_effective |= (cols[i] = column_of(buf_cstr(&r.f[i]))) == C_EFFECTIVE;
            if (!have_effective) {
                fault_set(fault, F_MISSING, NULL, "line %zu: the header has no date-and-time column (effective, 日時)",
                          rd.line);
                goto out;
            }
            continue;
        }
        if ((int)r.n > ncols) {
            fault_set(fault, F_INVALID_STRUCTURE, NULL, "line %zu: more fields than the header has columns", rd.line);
            goto out;
        }
        out->rows++;
        if (data_row(&rd, cols, &r))
            goto out;
    }
    if (!out->n && !out->ncheckups) {
        fault_set(fault, F_MISSING, NULL, "the file holds no measurement (%zu rows read)", out->rows);
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < MAX_COLUMNS; i++)
        buf_free(&r.f[i]);
    if (rc)
        csv_vitals_free(out);
    return rc;
}

void csv_vitals_free(struct csv_vitals *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->json[i]);
    free(c->json);
    buf_wipe(&c->checkups);
    free(c->checkup_lines);
    memset(c, 0, sizeof *c);
}
