/* Imports (R4.1, R4.2): a file a person (or the operator for them) hands
 * in becomes records in one transaction — all of a file or nothing — with
 * the file itself kept byte-identical as a DocumentReference's original.
 * A file imported before (the same bytes, found by the keyed digest of the
 * original, never by a plaintext hash) is reported, not stored twice.
 *
 * Today: 特定健診 HL7 CDA R2 (MHLW hc08), validated against the built-in
 * schema, and FHIR R4 Bundles of checkup results (the 健診結果報告書); both
 * mapped to Observations typed per the MHLW item table. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "access/gate.h"
#include "crypto/seal.h"
#include "formats/cda.h"
#include "formats/checkup_fhir.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"

struct sealed_row {
    char id[ID_LEN + 1];
    const char *code;             /* the item code (the item table's), or the document's format */
    int64_t lo, hi;               /* the day of the result, or of the document */
    struct buf body, original;
};

struct import_job {
    struct job job;
    const struct actor *actor;
    char subject[ID_LEN + 1], recorded_by[64], source[24], sha256[65];
    unsigned char mac[32];
    struct checkup_meta meta;
    struct sealed_row *rows;      /* rows[0]: the DocumentReference */
    size_t nrows;
    struct record_row *proto;     /* what the rows share */
    struct buf ids;
    char duplicate_of[ID_LEN + 1];
    struct gate_result g;
    int refused;
};

static int import_run(struct job *j, struct store *st)
{
    struct import_job *x = (struct import_job *)j;
    int err = gate_check(st, x->actor, ACT_RECORD_CREATE, x->subject, "Observation", &x->g);
    if (err)
        return err;
    if (x->g.d == GATE_DENY) {
        x->refused = 1;
        return gate_record(st, x->actor, ACT_RECORD_CREATE, x->subject, NULL, x->g.reason, GATE_DENY);
    }
    err = st->ops->record_by_original(st, x->subject, "DocumentReference", x->mac, x->duplicate_of);
    if (err == PHR_OK)
        return PHR_OK; /* imported before: nothing is written */
    if (err != PHR_ENOTFOUND)
        return err;
    x->duplicate_of[0] = '\0';
    for (size_t i = 0; i < x->nrows; i++) {
        struct record_row r = *x->proto;
        r.id = x->rows[i].id;
        r.body = (const unsigned char *)x->rows[i].body.data;
        r.body_len = x->rows[i].body.len;
        r.original = (const unsigned char *)x->rows[i].original.data;
        r.original_len = x->rows[i].original.len;
        r.resource_type = i == 0 ? "DocumentReference" : "Observation";
        r.code_system = i == 0 ? "urn:phr:format" : "urn:oid:" TOKUTEI_ITEM_OID;
        r.code = x->rows[i].code;
        r.effective_start = x->rows[i].lo;
        r.effective_end = x->rows[i].hi;
        if ((err = st->ops->record_insert(st, &r)) != PHR_OK)
            return err;
    }
    char reason[96];
    snprintf(reason, sizeof reason, "import:tokutei-cda sha256:%.16s", x->sha256);
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

static void job_free(struct import_job *x)
{
    for (size_t i = 0; i < x->nrows; i++) {
        buf_free(&x->rows[i].body);
        buf_free(&x->rows[i].original);
    }
    free(x->rows);
    free(x->proto);
    buf_free(&x->ids);
}

int import_file(struct service *svc, const struct actor *a, const char *subject, const char *source,
                const char *channel, int fhir, const char *data, size_t len, struct buf *out, struct issue *is)
{
    if (!subject || strlen(subject) > ID_LEN || gate_decide(a, ACT_RECORD_CREATE, subject) == GATE_DENY)
        return issue_set(is, 403, "forbidden", NULL, "you can import data only about yourself");
    if (!source)
        source = "insurer";
    if (strcmp(source, "insurer") && strcmp(source, "medical-institution") && strcmp(source, "mynaportal"))
        return issue_set(is, 422, "value", "source", "source is insurer, medical-institution or mynaportal");
    struct cda_checkup c;
    if (fhir ? checkup_bundle_read(data, len, &c, is) : cda_read(data, len, &c, is))
        return -1;
    const char *format = fhir ? "fhir-bundle" : "mhlw-tokutei-hc08", *kind = fhir ? "fhir-bundle" : "tokutei-cda";
    struct import_job x = {.job = {.run = import_run}, .actor = a};
    unsigned char key[DATA_KEY_BYTES], digest[32];
    struct store *rd = NULL;
    int rc = -1;
    snprintf(x.subject, sizeof x.subject, "%s", subject);
    snprintf(x.source, sizeof x.source, "%s", source);
    gate_actor_name(a, x.recorded_by);
    crypto_hash_sha256(digest, (const unsigned char *)data, len);
    sodium_bin2hex(x.sha256, sizeof x.sha256, digest, sizeof digest);
    if (service_reader(svc, &rd) != PHR_OK) {
        issue_set(is, 503, "transient", NULL, "the store is not available");
        goto out;
    }
    int err = service_data_key(svc, rd, subject, key);
    service_reader_done(svc, rd);
    if (err) {
        issue_set(is, err == PHR_ENOTFOUND ? 404 : 500, err == PHR_ENOTFOUND ? "not-found" : "exception", NULL,
                  err == PHR_ENOTFOUND ? "no such person" : "the person's data key could not be opened");
        goto out;
    }
    seal_mac(key, data, len, x.mac);
    x.nrows = c.nresults + 1;
    x.rows = calloc(x.nrows, sizeof *x.rows);
    x.proto = calloc(1, sizeof *x.proto);
    if (!x.rows || !x.proto) {
        issue_set(is, 500, "exception", NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < x.nrows; i++) {
        id_uuid7(x.rows[i].id);
        x.rows[i].code = i == 0 ? format : c.results[i - 1].item->code;
        x.rows[i].lo = i == 0 ? c.date_lo : c.results[i - 1].date_lo;
        x.rows[i].hi = i == 0 ? c.date_hi : c.results[i - 1].date_hi;
    }
    x.meta = (struct checkup_meta){.person_id = x.subject, .document_id = x.rows[0].id, .source = x.source,
                                   .recorded_by = x.recorded_by, .channel = channel, .sha256_hex = x.sha256,
                                   .content_type = fhir ? "application/fhir+json" : "application/xml",
                                   .format = format, .recorded_at = clock_now_ms()};
    struct buf plain = {0};
    int bad = checkup_document(&plain, &x.meta, &c, len) ||
              seal_into(key, x.rows[0].id, plain.data, plain.len, data, len, &x.rows[0]);
    for (size_t i = 1; !bad && i < x.nrows; i++) {
        buf_wipe(&plain);
        bad = checkup_observation(&plain, x.rows[i].id, &x.meta, &c, &c.results[i - 1]) ||
              seal_into(key, x.rows[i].id, plain.data, plain.len, "", 0, &x.rows[i]);
    }
    buf_wipe(&plain);
    for (size_t i = 0; !bad && i < x.nrows; i++)
        bad = buf_printf(&x.ids, "%s%s", i ? "," : "", x.rows[i].id);
    if (bad) {
        issue_set(is, 500, "exception", NULL, "out of memory");
        goto out;
    }
    *x.proto = (struct record_row){
        .version = 1, .person_id = x.subject, .category = "laboratory", .data_category = 1, .source = x.source, .recorded_at = x.meta.recorded_at,
        .recorded_by = x.recorded_by, .channel = channel, .original_mac = x.mac, .alg = SEAL_XCHACHA20POLY1305,
        .current = 1,
    };
    if (writer_call(svc->writer, &x.job) != PHR_OK) {
        issue_set(is, 503, "transient", NULL, "the import could not be stored; nothing was stored");
        goto out;
    }
    if (x.refused) {
        issue_set(is, 403, "forbidden", NULL, "nothing may be recorded before the required purposes of use are "
                                              "consented to (%s)", x.g.reason);
        goto out;
    }
    if (x.duplicate_of[0])
        bad = buf_printf(out, "{\"kind\":\"%s\",\"duplicate\":true,\"document\":\"%s\",\"sha256\":\"%s\"}", kind,
                         x.duplicate_of, x.sha256);
    else
        bad = buf_printf(out,
                         "{\"kind\":\"%s\",\"duplicate\":false,\"document\":\"%s\",\"sha256\":\"%s\","
                         "\"checkup_date\":\"%s\",\"observations\":%zu,\"skipped\":%zu}",
                         kind, x.rows[0].id, x.sha256, c.date, c.nresults, c.skipped);
    if (bad) {
        issue_set(is, 500, "exception", NULL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    sodium_memzero(key, sizeof key);
    job_free(&x);
    cda_checkup_free(&c);
    return rc;
}
