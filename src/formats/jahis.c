#include "formats/jahis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/jahis_text.h"

#define MAX_FIELDS 24

/* Appends one zeroed element to a growing array; NULL when out of memory
 * or past the line limit (nothing in a text has more elements than lines). */
#define PUSH(arr, n, out)                                                                                  \
    do {                                                                                                   \
        __typeof__(arr) p_ = (n) < JAHIS_MAX_LINES ? realloc((arr), ((n) + 1) * sizeof *(arr)) : NULL;     \
        (out) = NULL;                                                                                      \
        if (!p_)                                                                                           \
            break;                                                                                         \
        (arr) = p_;                                                                                        \
        memset(&p_[n], 0, sizeof *p_);                                                                     \
        (out) = &p_[(n)++];                                                                                \
    } while (0)

struct line {
    char *s;
    size_t no;                    /* 1-based, in the text as given */
};

struct part {
    size_t first, n;              /* lines of the part, header included */
    long total, number;
    char data_id[15];
};

struct reader {
    struct jahis_doc *d;
    struct fault *fault;
    struct jahis_dispensing *cur;
    size_t no;                    /* the line being read */
    const char *rec;
    int patient;
};

static int split(char *s, char **f, int max)
{
    int n = 0;
    for (;;) {
        if (n == max)
            return -1;
        f[n++] = s;
        char *c = strchr(s, ',');
        if (!c)
            return n;
        *c = '\0';
        s = c + 1;
    }
}

static int bad(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct reader *r, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fault_set(r->fault, F_INVALID_VALUE, NULL, "line %zu, record %s: %s", r->no, r->rec, msg);
}

static int nomem(struct reader *r)
{
    return fault_set(r->fault, F_INTERNAL, NULL, "out of memory");
}

/* Field k, "" when the record is shorter. */
#define F(k) ((k) < nf ? f[k] : "")

static int creator_of(struct reader *r, const char *s, int *out)
{
    if (!*s) {
        *out = 9;
        return 0;
    }
    if (strlen(s) != 1 || !strchr("1289", *s))
        return bad(r, "record creator '%.8s' is not 1, 2, 8 or 9", s);
    *out = *s - '0';
    return 0;
}

static int in_block(struct reader *r)
{
    return r->cur ? 0 : bad(r, "it belongs to a dispensing, but no dispensing date (record 5) precedes it");
}

static struct jahis_rp *rp_find(struct jahis_dispensing *b, int rp)
{
    for (size_t i = 0; i < b->nrps; i++)
        if (b->rps[i].rp == rp)
            return &b->rps[i];
    return NULL;
}

static int rp_number(struct reader *r, const char *s, int *rp)
{
    if (!*s || strlen(s) > 4 || strspn(s, "0123456789") != strlen(s) || atoi(s) < 1)
        return bad(r, "RP number '%.8s' is not a number from 1", s);
    *rp = atoi(s);
    return 0;
}

static int note_push(struct reader *r, struct jahis_note **notes, size_t *n, const char *label, const char *text)
{
    if (!*text)
        return bad(r, "the text is empty");
    struct jahis_note *e;
    PUSH(*notes, *n, e);
    if (!e)
        return nomem(r);
    *e = (struct jahis_note){label, text, NULL};
    return 0;
}

/* What the dispensing's last note record says beside its text. */
static int note_extra(struct jahis_dispensing *b, const char *extra)
{
    b->notes[b->nnotes - 1].extra = extra;
    return 0;
}

/* 患者特記: 1 アレルギー歴, 2 副作用歴, 3 既往歴, 9 その他. */
static int rec_remark(struct reader *r, char **f, int nf)
{
    struct jahis_remark *m;
    PUSH(r->d->remarks, r->d->nremarks, m);
    if (!m)
        return nomem(r);
    if (strlen(F(1)) != 1 || !strchr("1239", *F(1)))
        return bad(r, "remark kind '%.8s' is not 1 (allergy), 2 (side effect), 3 (past illness) or 9", F(1));
    m->kind = *F(1) - '0';
    m->text = F(2);
    r->d->unmapped += m->kind == JAHIS_PAST_ILLNESS || m->kind == JAHIS_OTHER_REMARK; /* kept in the original */
    if (!*m->text)
        return bad(r, "the remark's text is missing");
    return creator_of(r, F(3), &m->creator);
}

static int rec_otc(struct reader *r, char **f, int nf)
{
    struct jahis_otc *o;
    PUSH(r->d->otc, r->d->notc, o);
    if (!o)
        return nomem(r);
    o->name = F(1);
    o->jan = F(6);
    if (!*o->name)
        return bad(r, "the medicine's name is missing");
    int64_t slo = 0, shi = 0, elo = 0, ehi = 0;
    if (*F(2) && jahis_date(F(2), o->start, &slo, &shi))
        return bad(r, "start date '%.10s' is not YYYYMMDD or an era date such as R020406", F(2));
    if (*F(3) && jahis_date(F(3), o->end, &elo, &ehi))
        return bad(r, "end date '%.10s' is not YYYYMMDD or an era date such as R020406", F(3));
    if (o->start[0] && o->end[0] && ehi < slo)
        return bad(r, "the end date comes before the start date");
    o->date_lo = o->start[0] ? slo : elo;
    o->date_hi = o->end[0] ? ehi : shi;
    if (creator_of(r, F(4), &o->creator))
        return -1;
    if (!*F(5) || strspn(F(5), "0123456789") != strlen(F(5)) || strlen(F(5)) > 4)
        return bad(r, "sequence number '%.8s' is not a number", F(5));
    o->seq = atoi(F(5));
    for (size_t i = 0; i + 1 < r->d->notc; i++)
        if (r->d->otc[i].seq == o->seq)
            return bad(r, "sequence number %d is used twice", o->seq);
    return 0;
}

static int rec_otc_ingredient(struct reader *r, char **f, int nf)
{
    struct jahis_otc *o = NULL;
    int numeric = *F(1) && strlen(F(1)) <= 4 && strspn(F(1), "0123456789") == strlen(F(1));
    for (size_t i = 0; numeric && i < r->d->notc; i++)
        if (r->d->otc[i].seq == atoi(F(1)))
            o = &r->d->otc[i];
    if (!o)
        return bad(r, "it names OTC medicine '%.8s', but no record 3 with that sequence number precedes it", F(1));
    if (!*F(2))
        return bad(r, "the ingredient's name is missing");
    if (*F(3) && strcmp(F(3), "1") && !*F(4))
        return bad(r, "the ingredient code is missing although its code type is %.4s", F(3));
    struct jahis_ingredient *e;
    PUSH(o->ingredients, o->ningredients, e);
    if (!e)
        return nomem(r);
    *e = (struct jahis_ingredient){F(2), F(3), F(4)};
    return 0;
}

static int rec_dispensing(struct reader *r, char **f, int nf)
{
    struct jahis_dispensing *b;
    PUSH(r->d->dispensings, r->d->ndispensings, b);
    if (!b)
        return nomem(r);
    r->cur = b;
    b->pharmacy = b->pharmacist = b->clinic = b->doctor = (struct jahis_party){"", "", "", "", "", "", "", ""};
    if (jahis_date(F(1), b->date, &b->date_lo, &b->date_hi))
        return bad(r, "dispensing date '%.10s' is not YYYYMMDD or an era date such as R020410", F(1));
    return creator_of(r, F(2), &b->creator);
}

static int rec_drug(struct reader *r, char **f, int nf)
{
    static const char types[] = "12346";
    struct jahis_dispensing *b = r->cur;
    int rp = 0;
    if (rp_number(r, F(1), &rp))
        return -1;
    if (!*F(2))
        return bad(r, "the medicine's name is missing");
    if (!jahis_decimal(F(3)))
        return bad(r, "dose '%.12s' is not a number", F(3));
    if (strlen(F(5)) != 1 || !strchr(types, *F(5)))
        return bad(r, "drug code type '%.8s' is not 1 (none), 2 (レセプト電算), 3 (厚労省), 4 (YJ) or 6 (HOT)", F(5));
    if (*F(5) != '1' && !*F(6))
        return bad(r, "the drug code is missing although its code type is %s", F(5));
    if (*F(9) && strcmp(F(9), "1") && strcmp(F(9), "2"))
        return bad(r, "generic-name code type '%.8s' is not 1 or 2", F(9));
    if (!strcmp(F(9), "2") && !*F(10))
        return bad(r, "the generic-name code is missing although its code type is 2");
    size_t gl = strlen(F(10));
    if (gl > 12 || strspn(F(10), "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-") != gl)
        return bad(r, "generic-name code '%.16s' is not up to 12 letters, digits, '.' or '-'", F(10));
    struct jahis_rp *p = rp_find(b, rp);
    if (!p) {
        PUSH(b->rps, b->nrps, p);
        if (!p)
            return nomem(r);
        p->rp = rp;
        p->usage = p->amount = p->unit = "";
    } else if (p->form) {
        return bad(r, "RP %d already has its usage (record 301); its medicines come before it", rp);
    }
    struct jahis_drug *d;
    PUSH(b->drugs, b->ndrugs, d);
    if (!d)
        return nomem(r);
    *d = (struct jahis_drug){.rp = (size_t)(p - b->rps), .name = F(2), .dose = F(3), .unit = F(4),
                             .code_type = *F(5) - '0', .code = *F(5) == '1' ? "" : F(6), .generic_name = F(8),
                             .generic_code = F(10)};
    return creator_of(r, F(7), &d->creator);
}

static int rec_usage(struct reader *r, char **f, int nf)
{
    int rp = 0;
    if (rp_number(r, F(1), &rp))
        return -1;
    struct jahis_rp *p = rp_find(r->cur, rp);
    if (!p)
        return bad(r, "it names RP %d, but no medicine (record 201) of that RP precedes it", rp);
    if (p->form)
        return bad(r, "RP %d has its usage already", rp);
    int form = atoi(F(5));
    if (!*F(5) || strspn(F(5), "0123456789") != strlen(F(5)) || form < 1 || form > 10 || form == 8)
        return bad(r, "dosage form code '%.8s' is not one of 1–7, 9, 10", F(5));
    if (r->d->output_category == 1 && form != 9 && form != 10 && !*F(2))
        return bad(r, "the usage (用法名称) is missing");
    if (*F(3) && !jahis_decimal(F(3)))
        return bad(r, "amount '%.12s' is not a number", F(3));
    if (*F(6) && strcmp(F(6), "1") && !*F(7))
        return bad(r, "the usage code is missing although its code type is %.4s", F(6));
    p->usage = F(2);
    p->amount = F(3);
    p->unit = F(4);
    p->form = form;
    return 0;
}

static int rec_rp_note(struct reader *r, char **f, int nf, const char *label)
{
    int rp = 0;
    if (rp_number(r, F(1), &rp))
        return -1;
    struct jahis_rp *p = rp_find(r->cur, rp);
    if (!p)
        return bad(r, "it names RP %d, but no medicine (record 201) of that RP precedes it", rp);
    return note_push(r, &p->notes, &p->nnotes, label, F(2));
}

/* Every RP of the dispensing just finished has its usage. */
static int block_done(struct reader *r)
{
    struct jahis_dispensing *b = r->cur;
    for (size_t i = 0; b && i < b->nrps; i++)
        if (!b->rps[i].form)
            return fault_set(r->fault, F_INVALID_VALUE, NULL,
                             "the dispensing of %s: RP %d has medicines (record 201) but no usage (record 301)",
                             b->date, b->rps[i].rp);
    return 0;
}

static int record(struct reader *r, char *s)
{
    char *f[MAX_FIELDS];
    int nf = split(s, f, MAX_FIELDS);
    r->rec = f[0];
    if (nf < 0) {
        r->rec = "?";
        return bad(r, "more than %d fields", MAX_FIELDS);
    }
    int no = strspn(f[0], "0123456789") == strlen(f[0]) && strlen(f[0]) <= 3 && *f[0] ? atoi(f[0]) : -1;
    if (no < 0)
        return bad(r, "'%.12s' is not a record number", f[0]);
    if (no != 1 && !r->patient)
        return bad(r, "the patient record (1) must come first");
    switch (no) {
    case 1:
        if (r->patient++)
            return bad(r, "a second patient record");
        if (!*F(1))
            return bad(r, "the patient's name is missing");
        if (strcmp(F(2), "1") && strcmp(F(2), "2"))
            return bad(r, "sex '%.8s' is not 1 or 2", F(2));
        char day[11];
        int64_t lo, hi;
        if (jahis_date(F(3), day, &lo, &hi))
            return bad(r, "birth date '%.10s' is not YYYYMMDD or an era date such as S330303", F(3));
        return jahis_person(&r->d->person, f, nf, day) ? nomem(r) : 0;
    case 3:
        return r->cur ? bad(r, "OTC medicines come before the dispensings") : rec_otc(r, f, nf);
    case 31:
        return rec_otc_ingredient(r, f, nf);
    case 5:
        return block_done(r) || rec_dispensing(r, f, nf);
    case 2:
        return r->cur ? bad(r, "the patient's remarks come before the dispensings") : rec_remark(r, f, nf);
    case 4: case 701:
        r->d->unmapped++;
        return 0;
    }
    if (in_block(r))
        return -1;
    struct jahis_dispensing *b = r->cur;
    switch (no) {
    case 11:
        b->pharmacy = (struct jahis_party){F(1), F(2), F(3), F(4), F(5), F(6), F(7), ""};
        return *F(1) ? 0 : bad(r, "the pharmacy's name is missing");
    case 15: b->pharmacist = (struct jahis_party){F(1), "", "", "", "", "", F(2), ""}; return 0;
    case 51:
        b->clinic = (struct jahis_party){F(1), F(2), F(3), F(4), "", "", "", ""};
        return *F(1) ? 0 : bad(r, "the prescribing institution's name is missing");
    case 55: b->doctor = (struct jahis_party){F(1), "", "", "", "", "", "", F(2)}; return 0;
    case 201: return rec_drug(r, f, nf);
    case 301: return rec_usage(r, f, nf);
    case 281: return rec_rp_note(r, f, nf, "薬品補足");
    case 291: return rec_rp_note(r, f, nf, "薬品服用注意");
    case 311: return rec_rp_note(r, f, nf, "用法補足");
    case 391: return rec_rp_note(r, f, nf, "処方服用注意");
    case 401: return note_push(r, &b->notes, &b->nnotes, "服用注意", F(1));
    case 411: return note_push(r, &b->notes, &b->nnotes, "医療機関等提供情報", F(1)) || note_extra(b, F(2));
    case 421: return note_push(r, &b->notes, &b->nnotes, "残薬確認", F(1));
    case 501: return note_push(r, &b->notes, &b->nnotes, "備考", F(1));
    case 601: return note_push(r, &b->notes, &b->nnotes, "患者等記入", F(1)) || note_extra(b, F(2));
    }
    return bad(r, "not a record of JAHIS 電子版お薬手帳 Ver.2.6");
}

/* The version record: JAHISTCnn,c */
static int header(const char *s, int *version, int *category)
{
    if (strlen(s) != 11 || strncmp(s, "JAHISTC", 7) || strspn(s + 7, "0123456789") != 2 || s[9] != ',' ||
        (s[10] != '1' && s[10] != '2'))
        return -1;
    *version = (s[7] - '0') * 10 + (s[8] - '0');
    *category = s[10] - '0';
    return 0;
}

static int is_record(const char *s, const char *no)
{
    size_t n = strlen(no);
    return !strncmp(s, no, n) && (s[n] == ',' || s[n] == '\0');
}

/* Record 911 of a part: data id (14 digits), parts in all, this part. */
static int control(struct reader *r, char *s, struct part *p)
{
    char *f[MAX_FIELDS];
    int nf = split(s, f, MAX_FIELDS);
    r->rec = "911";
    if (p->total)
        return bad(r, "a second split control record in one part");
    if (nf < 4 || !jahis_digits(f[1], 14))
        return bad(r, "the data id is not 14 digits");
    char *e1, *e2;
    p->total = strtol(f[2], &e1, 10);
    p->number = strtol(f[3], &e2, 10);
    if (*e1 || *e2 || p->total < 1 || p->total > 99 || p->number < 1 || p->number > p->total)
        return bad(r, "part '%.4s' of '%.4s' is not a part number within the number of parts", f[3], f[2]);
    memcpy(p->data_id, f[1], 15);
    return 0;
}

/* Splits the text into parts at each version record, checks that split
 * parts are all there, and reads their records in part order. */
static int read_parts(struct reader *r, struct line *lines, size_t nlines)
{
    struct part *parts = NULL;
    size_t nparts = 0;
    char *patient = NULL;         /* part 1's patient record, which later parts repeat */
    int rc = -1;
    for (size_t i = 0; i < nlines; i++) {
        if (!strncmp(lines[i].s, "JAHISTC", 7)) {
            int v, c;
            struct part *p;
            r->no = lines[i].no;
            r->rec = "JAHISTC";
            if (header(lines[i].s, &v, &c)) {
                bad(r, "the version record is not JAHISTCnn followed by output category 1 or 2");
                goto out;
            }
            if (nparts && (v != r->d->version || c != r->d->output_category)) {
                bad(r, "the parts differ in version or output category");
                goto out;
            }
            r->d->version = v;
            r->d->output_category = c;
            PUSH(parts, nparts, p);
            if (!p) {
                nomem(r);
                goto out;
            }
            p->first = i;
        } else if (!nparts) {
            fault_set(r->fault, F_INVALID_VALUE, NULL,
                      "line %zu: not a JAHIS お薬手帳 text: the first line must be the version record JAHISTCnn,1 "
                      "or JAHISTCnn,2",
                      lines[i].no);
            goto out;
        }
        parts[nparts - 1].n++;
        r->no = lines[i].no;
        if (is_record(lines[i].s, "911") && control(r, lines[i].s, &parts[nparts - 1]))
            goto out;
    }
    if (!nparts) {
        fault_set(r->fault, F_INVALID_VALUE, NULL, "the text is empty");
        goto out;
    }
    long total = parts[0].total ? parts[0].total : 1;
    for (size_t i = 0; i < nparts; i++) {
        struct part *p = &parts[i];
        if (nparts > 1 && !p->total) {
            fault_set(r->fault, F_INVALID_VALUE, NULL,
                      "line %zu: the text holds %zu version records, but this part has no split control record "
                      "(911) saying which part it is",
                      lines[p->first].no, nparts);
            goto out;
        }
        if (strcmp(p->data_id, parts[0].data_id) || (p->total ? p->total : 1) != total) {
            fault_set(r->fault, F_INVALID_VALUE, NULL, "line %zu: the parts belong to different split data (911)",
                      lines[p->first].no);
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            if (parts[j].number == p->number) {
                fault_set(r->fault, F_INVALID_VALUE, NULL, "line %zu: part %ld is given twice", lines[p->first].no,
                          p->number);
                goto out;
            }
    }
    if ((long)nparts != total) {
        char missing[160] = "";
        size_t m = 0;
        for (long k = 1; k <= total; k++) {
            size_t j = 0;
            while (j < nparts && parts[j].number != k)
                j++;
            if (j == nparts && m < sizeof missing - 8)
                m += (size_t)snprintf(missing + m, sizeof missing - m, "%s%ld", m ? ", " : "", k);
        }
        fault_set(r->fault, F_INVALID_VALUE, NULL,
                  "split data %s has %ld parts but %zu %s given (missing: %s): give every part together, one "
                  "after the other, in one file",
                  parts[0].data_id, total, nparts, nparts == 1 ? "is" : "are", missing);
        goto out;
    }
    for (long k = 1; k <= total; k++) {
        size_t j = 0;
        while (parts[j].number != k && nparts > 1)
            j++;
        for (size_t i = parts[j].first + 1; i < parts[j].first + parts[j].n; i++) {
            char *s = lines[i].s;
            r->no = lines[i].no;
            if (is_record(s, "911"))
                continue;
            if (is_record(s, "1")) {
                if (patient && strcmp(s, patient)) {
                    r->rec = "1";
                    bad(r, "part %ld names another patient than the part before it", k);
                    goto out;
                }
                if (patient)
                    continue;
                patient = strdup(s);
                if (!patient) {
                    nomem(r);
                    goto out;
                }
            }
            if (record(r, s))
                goto out;
        }
    }
    r->d->parts = nparts;
    rc = block_done(r);
out:
    free(patient);
    free(parts);
    return rc;
}

int jahis_read(const char *data, size_t len, struct jahis_doc *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    if (len > JAHIS_MAX_BYTES)
        return fault_set(fault, F_TOO_LARGE, NULL, "the text is larger than %d bytes", JAHIS_MAX_BYTES);
    if (!(out->text = jahis_utf8(data, len, fault)))
        return -1;
    struct line *lines = NULL;
    size_t nlines = 0, no = 0;
    int rc = -1;
    for (char *s = out->text; s && *s;) {
        char *nl = strchr(s, '\n');
        if (nl)
            *nl = '\0';
        no++;
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\r' || s[n - 1] == '\x1A' || s[n - 1] == ' '))
            s[--n] = '\0';
        if (n) {
            struct line *l;
            PUSH(lines, nlines, l);
            if (!l) {
                fault_set(fault, F_TOO_LARGE, NULL, "the text has more than %d lines", JAHIS_MAX_LINES);
                goto out;
            }
            *l = (struct line){s, no};
        }
        s = nl ? nl + 1 : NULL;
    }
    struct reader r = {.d = out, .fault = fault};
    rc = read_parts(&r, lines, nlines);
out:
    free(lines);
    if (rc)
        jahis_doc_free(out);
    return rc;
}

void jahis_doc_free(struct jahis_doc *d)
{
    demographics_free(&d->person);
    for (size_t i = 0; i < d->ndispensings; i++) {
        struct jahis_dispensing *b = &d->dispensings[i];
        for (size_t k = 0; k < b->nrps; k++)
            free(b->rps[k].notes);
        free(b->rps);
        free(b->drugs);
        free(b->notes);
    }
    for (size_t i = 0; i < d->notc; i++)
        free(d->otc[i].ingredients);
    free(d->remarks);
    free(d->dispensings);
    free(d->otc);
    free(d->text);
    memset(d, 0, sizeof *d);
}
