/* Imports (R4.1, R4.2): a file a person (or the operator for them) hands
 * in becomes records in one transaction — all of a file or nothing — with
 * the file itself kept byte-identical as a DocumentReference's original.
 * A file imported before (the same bytes, found by the keyed digest of the
 * original, never by a plaintext hash) is reported, not stored twice.
 *
 * A file is one of the formats of service/import_parse.h, or an SPHR
 * package (formats/sphr.h): a zip whose index names its files. A package is
 * one transaction too: the zip kept as it came, each named file kept as its
 * own document, the records of each file that holds records — except a file
 * imported before, which is reported and left out. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "access/gate.h"
#include "audit/audit.h"
#include "crypto/digest.h"
#include "crypto/seal.h"
#include "formats/sphr.h"
#include "service/import_parse.h"
#include "service/internal.h"
#include "store/demographics.h"
#include "util/clock.h"
#include "util/err.h"

/* One file of the import: the file itself, or a file of a package. */
struct file {
    const char *path;             /* in the package; NULL for the file itself */
    const char *data;
    size_t len;
    struct parsed p;              /* p.f == FORMAT_KEPT: kept as it came, no records */
    char sha256[65], source[24];
    unsigned char mac[32];
    struct import_meta meta;
    size_t first, nrows;          /* its rows: first is its DocumentReference */
    char duplicate_of[ID_LEN + 1];
};

struct sealed_row {
    struct import_row r;
    struct buf body, original;
};

struct import_job {
    struct job job;
    const struct actor *actor;
    const char *kind;             /* the format's name in answers and the audit entry */
    char subject[ID_LEN + 1], recorded_by[64];
    struct file *files;           /* files[0]: what was handed in */
    size_t nfiles;
    struct sealed_row *rows;
    size_t nrows;
    struct record_row proto;      /* what the rows share */
    struct buf ids;
    struct gate_result g;
    int refused;
    struct buf demographics;      /* the newest checkup's, sealed; empty: none */
    struct buf signatures;        /* a package's: each index's signature, verified (JSON list) */
    char demographics_as_of[11];
};

static int insert_file(struct import_job *x, struct store *st, struct file *f)
{
    for (size_t i = f->first; i < f->first + f->nrows; i++) {
        struct sealed_row *s = &x->rows[i];
        struct record_row r = x->proto;
        r.id = s->r.id;
        r.body = (const unsigned char *)s->body.data;
        r.body_len = s->body.len;
        r.original = (const unsigned char *)s->original.data;
        r.original_len = s->original.len;
        r.original_mac = f->mac;
        r.resource_type = s->r.type;
        r.code_system = s->r.code_system;
        r.code = s->r.code;
        r.category = s->r.category;
        r.data_kind = data_kind_name(data_kind_of(s->r.type, s->r.category, s->r.code_system, s->r.code));
        r.source = s->r.source;
        r.data_category = s->r.data_category;
        r.effective_start = s->r.lo;
        r.effective_end = s->r.hi;
        int err = store_record_insert(st, &r);
        if (err)
            return err;
        char binding[AUDIT_BINDING_MAX];
        audit_record_binding(&r, binding);
        if (buf_printf(&x->ids, "%s%s", x->ids.len ? "," : "", binding))
            return PHR_ENOMEM;
    }
    return PHR_OK;
}

static int import_run(struct job *j, struct store *st)
{
    struct import_job *x = (struct import_job *)j;
    int err = gate_check(st, x->actor, ACT_RECORD_CREATE, x->subject, 0, &x->g);
    if (err)
        return err;
    if (x->g.d == GATE_DENY) {
        x->refused = 1;
        return gate_record(st, x->actor, ACT_RECORD_CREATE, x->subject, NULL, x->g.reason, GATE_DENY);
    }
    x->ids.len = 0;
    for (size_t i = 0; i < x->nfiles; i++) {
        struct file *f = &x->files[i];
        err = store_record_by_original(st, x->subject, "DocumentReference", f->mac, f->duplicate_of);
        if (err == PHR_OK && i == 0)
            return PHR_OK; /* the whole of it imported before: nothing is written */
        if (err == PHR_OK)
            continue; /* this file of a package was imported before */
        if (err != PHR_ENOTFOUND)
            return err;
        f->duplicate_of[0] = '\0';
        if ((err = insert_file(x, st, f)) != PHR_OK)
            return err;
    }
    if (x->demographics.len &&
        (err = store_demographics_put(st, x->subject, (const unsigned char *)x->demographics.data, x->demographics.len,
                                      x->demographics_as_of, x->proto.recorded_at)) != PHR_OK)
        return err;
    char reason[96];
    snprintf(reason, sizeof reason, "import:%s sha256:%.16s", x->kind, x->files[0].sha256);
    return gate_record(st, x->actor, ACT_RECORD_CREATE, x->subject, x->ids.data, reason, GATE_ALLOW);
}

static int seal_into(const unsigned char key[DATA_KEY_BYTES], const char *id, const char *body, size_t blen,
                     const char *orig, size_t olen, struct sealed_row *r)
{
    char ad[96];
    record_ad(ad, id, 1, "body");
    if (seal(key, ad, body, blen, &r->body) != PHR_OK)
        return -1;
    record_ad(ad, id, 1, "original");
    return seal(key, ad, orig, olen, &r->original) != PHR_OK ? -1 : 0;
}

/* What the newest checkup or お薬手帳 among the files says of the person,
 * over what is kept (a file that does not name the phone leaves the one
 * known), sealed with their key; nothing when no file says. 0, or -1 out
 * of memory or the store failing. */
static int seal_demographics(struct import_job *x, struct store *rd, const unsigned char key[DATA_KEY_BYTES])
{
    const struct demographics *newest = NULL;
    const char *day = NULL;
    for (size_t i = 0; i < x->nfiles; i++) {
        const struct parsed *p = &x->files[i].p;
        const struct cda_checkup *c = p->f == FORMAT_CDA ? &p->c : p->f == FORMAT_FHIR ? &p->fd.checkup : NULL;
        const struct demographics *d = c ? &c->person : p->f == FORMAT_JAHIS ? &p->j.person : NULL;
        const char *on = c ? c->date : p->day;
        if (d && demographics_any(d) && *on && (!newest || strcmp(on, day) > 0))
            newest = d, day = on;
    }
    if (!newest)
        return 0;
    /* What is kept but does not open (altered storage) is replaced, not
     * an obstacle to the import. */
    struct demographics d;
    int err = person_demographics_load(rd, x->subject, key, &d, NULL);
    if (err && err != PHR_ENOTFOUND && err != PHR_ECRYPTO && err != PHR_EIO)
        return -1;
    struct buf plain = {0};
    int rc = demographics_merge(&d, newest) || demographics_json(&d, day, &plain) ||
                     person_demographics_seal(key, x->subject, &plain, &x->demographics) != PHR_OK
                 ? -1
                 : 0;
    snprintf(x->demographics_as_of, sizeof x->demographics_as_of, "%s", day);
    demographics_free(&d);
    buf_wipe(&plain);
    return rc;
}

static void job_free(struct import_job *x)
{
    for (size_t i = 0; i < x->nrows; i++) {
        buf_free(&x->rows[i].body);
        buf_free(&x->rows[i].original);
    }
    for (size_t i = 0; i < x->nfiles; i++)
        import_parsed_free(&x->files[i].p);
    free(x->rows);
    free(x->files);
    buf_free(&x->ids);
    buf_free(&x->demographics);
    buf_free(&x->signatures);
}

/* The files of a package: the zip itself (kept), then each file its index
 * names, read for records unless the index marks it an original whose
 * records another file holds. A file that cannot be read refuses the
 * package, naming it. */
static int read_package(struct service *svc, struct import_job *x, const char *data, size_t len,
                        struct sphr_pkg *pkg, struct fault *fault)
{
    if (sphr_read(data, len, pkg, fault) || package_verify(svc, pkg, &x->signatures, fault))
        return -1;
    if (!(x->files = calloc(pkg->n + 1, sizeof *x->files)))
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    x->nfiles = pkg->n + 1;
    x->files[0] = (struct file){.data = data, .len = len, .p = {.f = FORMAT_KEPT}};
    for (size_t i = 0; i < pkg->n; i++) {
        struct file *f = &x->files[i + 1];
        *f = (struct file){.path = pkg->parts[i].path, .data = pkg->parts[i].data, .len = pkg->parts[i].len,
                           .p = {.f = FORMAT_KEPT}};
        if (pkg->parts[i].original)
            continue;
        if (sphr_sniff(f->data, f->len))
            return fault_set(fault, F_NOT_SUPPORTED, NULL, "file %.80s: a package inside a package is not read",
                             f->path);
        struct fault why;
        if (import_parse(f->data, f->len, &f->p, &why)) {
            import_parsed_free(&f->p);
            f->p.f = FORMAT_KEPT;
            return fault_set(fault, why.code, NULL, "file %.80s: %s", f->path, why.detail);
        }
    }
    return 0;
}

/* Seals file f's rows from x->rows[next] on: its document, then its records. */
static int seal_file(struct import_job *x, struct file *f, const unsigned char key[DATA_KEY_BYTES],
                     const char *source, const char *channel, int64_t now, size_t *next)
{
    const struct format_info *fi = import_format_info(f->p.f);
    digest_sha256_hex(f->data, f->len, f->sha256);
    seal_mac(key, f->data, f->len, f->mac);
    snprintf(f->source, sizeof f->source, "%s", source ? source : import_default_source(&f->p));
    if (!f->p.day[0]) {
        char when[32];
        clock_format_ms(now + 9 * 3600000LL, when);
        snprintf(f->p.day, sizeof f->p.day, "%.10s", when);
        f->p.lo = f->p.hi = now;
    }
    f->first = *next;
    f->nrows = 1 + import_records(&f->p);
    struct sealed_row *doc = &x->rows[*next];
    doc->r = (struct import_row){.type = "DocumentReference", .code_system = "urn:phr:format", .code = fi->format,
                                 .category = fi->category, .source = f->source, .data_category = 1, .lo = f->p.lo,
                                 .hi = f->p.hi};
    id_uuid7(doc->r.id);
    f->meta = (struct import_meta){.person_id = x->subject, .document_id = doc->r.id, .source = f->source,
                                   .recorded_by = x->recorded_by, .channel = channel, .sha256_hex = f->sha256,
                                   .content_type = fi->content_type, .format = fi->format, .recorded_at = now};
    struct buf plain = {0};
    int bad = f->p.f == FORMAT_KEPT
                  ? import_document(&plain, &f->meta, "{\"text\":\"a file kept as it came\"}",
                                    f->path ? f->path : "SPHR package", f->p.day, f->len)
                  : import_render_document(&f->p, &f->meta, f->len, &plain);
    bad = bad || seal_into(key, doc->r.id, plain.data, plain.len, f->data, f->len, doc);
    for (size_t k = 0; !bad && k < f->nrows - 1; k++) {
        struct sealed_row *s = &x->rows[*next + 1 + k];
        buf_wipe(&plain);
        bad = import_render_record(&f->p, k, &f->meta, &s->r, &plain) ||
              seal_into(key, s->r.id, plain.data, plain.len, "", 0, s);
    }
    buf_wipe(&plain);
    *next += f->nrows;
    return bad;
}

/* What was stored: for one file, its format's members; for a package,
 * each of its files. */
static int summary(struct buf *out, const struct import_job *x)
{
    const struct file *top = &x->files[0];
    if (top->duplicate_of[0])
        return buf_printf(out, "{\"kind\":\"%s\",\"duplicate\":true,\"document\":\"%s\",\"sha256\":\"%s\"}",
                          x->kind, top->duplicate_of, top->sha256);
    size_t stored = 0;
    for (size_t i = 0; i < x->nfiles; i++)
        stored += x->files[i].duplicate_of[0] ? 0 : x->files[i].nrows - 1;
    if (buf_printf(out, "{\"kind\":\"%s\",\"duplicate\":false,\"document\":\"%s\",\"sha256\":\"%s\",\"records\":%zu,"
                        "\"date\":\"%s\",",
                   x->kind, x->rows[0].r.id, top->sha256, stored, top->p.day))
        return -1;
    if (x->nfiles == 1)
        return import_summary(&top->p, out) || buf_puts(out, "}");
    if (buf_puts(out, "\"files\":["))
        return -1;
    for (size_t i = 1; i < x->nfiles; i++) {
        const struct file *f = &x->files[i];
        int e = buf_puts(out, i > 1 ? ",{\"path\":" : "{\"path\":") || buf_json_str(out, f->path) ||
                buf_printf(out, ",\"kind\":\"%s\",\"document\":\"%s\",\"duplicate\":%s,", import_format_info(f->p.f)->kind,
                           f->duplicate_of[0] ? f->duplicate_of : x->rows[f->first].r.id,
                           f->duplicate_of[0] ? "true" : "false") ||
                import_summary(&f->p, out) || buf_puts(out, "}");
        if (e)
            return -1;
    }
    return buf_puts(out, "]") ||
           (x->signatures.len &&
            (buf_puts(out, ",\"signatures\":[") || buf_append(out, x->signatures.data, x->signatures.len) ||
             buf_puts(out, "]"))) ||
           buf_puts(out, "}");
}

/* Everything an import does before its commit, on the caller's thread: the
 * file (or package) read and checked, its records sealed. 0, or -1 with the fault
 * set; x and pkg are freed by the caller either way. */
static int prepare(struct service *svc, const struct actor *a, const char *subject, const char *source,
                   const char *channel, const char *data, size_t len, struct import_job *x, struct sphr_pkg *pkg,
                   struct fault *fault)
{
    if (!subject || strlen(subject) > ID_LEN || gate_decide(a, ACT_RECORD_CREATE, subject) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "you can import data only about yourself");
    if (source && strcmp(source, "insurer") && strcmp(source, "medical-institution") && strcmp(source, "mynaportal"))
        return fault_set(fault, F_INVALID_VALUE, "source", "source is insurer, medical-institution or mynaportal");
    if (len > IMPORT_MAX_BYTES)
        return fault_set(fault, F_TOO_LARGE, NULL, "a file is at most %d bytes", IMPORT_MAX_BYTES);
    x->job.run = import_run;
    x->actor = a;
    if (sphr_sniff(data, len)) {
        x->kind = "sphr";
        if (read_package(svc, x, data, len, pkg, fault))
            return -1;
    } else {
        if (!(x->files = calloc(1, sizeof *x->files)))
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
        x->nfiles = 1;
        x->files[0] = (struct file){.data = data, .len = len};
        if (import_parse(data, len, &x->files[0].p, fault))
            return -1;
        x->kind = import_format_info(x->files[0].p.f)->kind;
    }
    snprintf(x->subject, sizeof x->subject, "%s", subject);
    gate_actor_name(a, x->recorded_by);
    unsigned char key[DATA_KEY_BYTES];
    struct store *rd;
    if (service_reader(svc, &rd) != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    int err = service_data_key(svc, rd, subject, key);
    if (!err && seal_demographics(x, rd, key))
        err = PHR_EIO;
    service_reader_done(svc, rd);
    if (err) {
        sodium_memzero(key, sizeof key);
        return fault_set(fault, err == PHR_ENOTFOUND ? F_NOT_FOUND : F_INTERNAL, NULL,
                         err == PHR_ENOTFOUND ? "no such person"
                         : err == PHR_EIO     ? "the person's details could not be read"
                                              : "the person's data key could not be opened");
    }
    for (size_t i = 0; i < x->nfiles; i++)
        x->nrows += 1 + import_records(&x->files[i].p);
    int rc = 0;
    if (!(x->rows = calloc(x->nrows, sizeof *x->rows)))
        rc = fault_set(fault, F_INTERNAL, NULL, "out of memory");
    int64_t now = clock_now_ms();
    size_t next = 0;
    for (size_t i = 0; !rc && i < x->nfiles; i++)
        if (seal_file(x, &x->files[i], key, source, channel, now, &next))
            rc = fault_set(fault, F_INTERNAL, NULL, "out of memory");
    sodium_memzero(key, sizeof key);
    x->proto = (struct record_row){.version = 1, .person_id = x->subject, .recorded_at = now,
                                   .recorded_by = x->recorded_by, .channel = channel, .alg = SEAL_XCHACHA20POLY1305,
                                   .current = 1};
    return rc;
}

static void refused_fault(const struct import_job *x, struct fault *fault)
{
    fault_set(fault, F_CONSENT_REQUIRED, NULL,
              "nothing may be recorded before the required purposes of use are "
              "consented to (%s)",
              x->g.reason);
}

int import_file(struct service *svc, const struct actor *a, const char *subject, const char *source,
                const char *channel, const char *data, size_t len, struct buf *out, int *duplicate, struct fault *fault)
{
    *duplicate = 0;
    struct import_job x = {0};
    struct sphr_pkg pkg = {0};
    int rc = -1;
    if (prepare(svc, a, subject, source, channel, data, len, &x, &pkg, fault))
        goto out;
    if (writer_call(svc->writer, &x.job) != PHR_OK) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the import could not be stored; nothing was stored");
        goto out;
    }
    if (x.refused) {
        refused_fault(&x, fault);
        goto out;
    }
    if (summary(out, &x)) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    *duplicate = x.files[0].duplicate_of[0] != '\0';
    rc = 0;
out:
    job_free(&x);
    sphr_pkg_free(&pkg);
    return rc;
}

/* The same as an op for the HTTP server: the import commits on the writer
 * while the connection waits suspended, holding no thread. */
struct import_op {
    struct op op;
    struct import_job x;
    struct sphr_pkg pkg;
};

static int import_op_commit(struct op *o, struct store *st)
{
    struct import_op *io = (struct import_op *)o;
    int err = import_run(&io->x.job, st);
    if (!err && io->x.refused) {
        o->res.err = PHR_EPERM;
        refused_fault(&io->x, &o->res.fault);
    }
    return err;
}

static int import_op_render(struct op *o, struct buf *out)
{
    return summary(out, &((struct import_op *)o)->x) ? PHR_ENOMEM : PHR_OK;
}

static void import_op_destroy(struct op *o)
{
    struct import_op *io = (struct import_op *)o;
    job_free(&io->x);
    sphr_pkg_free(&io->pkg);
}

static const struct op_ops import_ops = {import_op_commit, import_op_render, import_op_destroy};

int import_submit(struct service *svc, const struct actor *a, const char *subject, const char *source,
                  const char *channel, const char *data, size_t len, struct op **out, struct fault *fault)
{
    *out = NULL;
    struct import_op *io = calloc(1, sizeof *io);
    if (!io)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&io->op, svc, &import_ops, a);
    if (prepare(svc, &io->op.actor, subject, source, channel, data, len, &io->x, &io->pkg, fault)) {
        op_free(&io->op);
        return -1;
    }
    *out = &io->op;
    return 0;
}

int import_duplicate(const struct op *op)
{
    const struct import_op *io = (const struct import_op *)op;
    return io->x.files && io->x.files[0].duplicate_of[0] != '\0';
}
