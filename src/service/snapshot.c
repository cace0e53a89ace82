/* A person's data read from one moment: a reader connection held in a read
 * transaction, and the person's data key fetched just before it begins —
 * so that the transaction never reads the key store and holds no lock on
 * it while a long answer streams. Shared by the disclosure and the
 * exports. */
#include "service/snapshot.h"

#include <string.h>
#include <sodium.h>

#include "crypto/seal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

int snapshot_open(struct service *svc, const char *person, int (*prepare)(void *, struct store *), void *arg,
                  struct person_snapshot *s)
{
    memset(s, 0, sizeof *s);
    s->svc = svc;
    snprintf(s->person, sizeof s->person, "%s", person);
    int err = service_reader(svc, &s->rd);
    if (err) {
        s->rd = NULL;
        return err;
    }
    if ((err = service_data_key(svc, s->rd, person, s->key)) == PHR_OK && prepare)
        err = prepare(arg, s->rd);
    if (!err && (err = store_begin_read(s->rd)) == PHR_OK)
        s->in_read = 1;
    if (err)
        snapshot_close(s);
    return err;
}

int snapshot_append_part(struct person_snapshot *s, const struct record_row *r, const char *part, struct buf *out)
{
    char ad[96];
    record_ad(ad, r->id, r->version, part);
    const unsigned char *blob = strcmp(part, "original") ? r->body : r->original;
    size_t len = strcmp(part, "original") ? r->body_len : r->original_len;
    int err = seal_open(r->alg, s->key, ad, blob, len, out);
    if (err != PHR_ECRYPTO && err != PHR_EINVAL)
        return err;
    char v[16];
    snprintf(v, sizeof v, "%d", r->version);
    log_event(LOG_ERROR, "record.unreadable", "person", s->person, "record", r->id, "version", v, "part", part,
              "why", err == PHR_EINVAL ? "unknown sealing algorithm" : "its sealed part does not authenticate", NULL);
    if (buf_printf(&s->unreadable, "%s%s/%s/_history/%d", s->nunreadable ? "," : "", r->resource_type, r->id,
                   r->version))
        return PHR_ENOMEM;
    s->nunreadable++;
    return PHR_ECRYPTO;
}

int snapshot_outcome_resource(const struct person_snapshot *s, struct buf *out)
{
    if (!s->nunreadable)
        return PHR_OK;
    return buf_printf(out, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":"
                           "\"exception\",\"diagnostics\":\"%zu record(s) could not be opened and are not included: ",
                      s->nunreadable) ||
                   buf_json_escape(out, s->unreadable.data, s->unreadable.len) || buf_puts(out, "\"}]}")
               ? PHR_ENOMEM
               : PHR_OK;
}

int snapshot_outcome(const struct person_snapshot *s, struct buf *out, int first, int searchset)
{
    if (!s->nunreadable)
        return PHR_OK;
    return buf_puts(out, first ? "{\"resource\":" : ",{\"resource\":") || snapshot_outcome_resource(s, out) ||
                   buf_puts(out, searchset ? ",\"search\":{\"mode\":\"outcome\"}}" : "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

int snapshot_open_part(struct person_snapshot *s, const struct record_row *r, const char *part)
{
    buf_wipe(&s->plain);
    return snapshot_append_part(s, r, part, &s->plain);
}

int export_still_open(struct store *rd, int64_t *closed_on)
{
    struct termination_row t;
    int err = store_termination_get(rd, &t);
    if (err == PHR_ENOTFOUND)
        return PHR_OK;
    if (err)
        return err;
    *closed_on = t.export_until;
    return t.export_until < clock_now_ms() ? PHR_EPERM : PHR_OK;
}

int export_closed_fault(const struct service *svc, int64_t closed_on, struct fault *fault)
{
    char until[32];
    clock_format_local(closed_on, service_config(svc)->tz_offset_min, until);
    return fault_set(fault, F_SERVICE_CLOSED, NULL, "the service is closing; the export period ended at %s", until);
}

void snapshot_close(struct person_snapshot *s)
{
    if (s->in_read)
        store_commit(s->rd);
    if (s->rd)
        service_reader_done(s->svc, s->rd);
    s->rd = NULL;
    s->in_read = 0;
    sodium_memzero(s->key, sizeof s->key);
    buf_wipe(&s->plain);
    buf_free(&s->unreadable);
    s->nunreadable = 0;
}
