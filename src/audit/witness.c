/* Checkpoints witnessed outside the database. The service writes each
 * signed head to its log (and, with --witness, to an append-only file) as
 * {"event":"audit.checkpoint","seq":"N","hash":"HEX",...}: someone who
 * rewrites the store, history and checkpoints together, cannot recall
 * those lines, and verification holds the database against them. */
#include "audit/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <sodium.h>

#include "formats/json.h"
#include "util/err.h"

int audit_witness_read(const char *line, struct witnessed *out)
{
    if (!strstr(line, "\"audit.checkpoint\""))
        return 0;
    json_object *o = json_tokener_parse(line);
    const char *event = json_get_str(o, "event"), *seq = json_get_str(o, "seq"), *hash = json_get_str(o, "hash");
    size_t got = 0;
    int ok = event && !strcmp(event, "audit.checkpoint") && seq && hash && strlen(hash) == 2 * SHA256_BYTES &&
             sodium_hex2bin(out->hash, SHA256_BYTES, hash, strlen(hash), NULL, &got, NULL) == 0 &&
             got == SHA256_BYTES;
    char *end = NULL;
    out->seq = ok ? strtoll(seq, &end, 10) : 0;
    ok = ok && end && !*end && out->seq > 0;
    json_object_put(o);
    return ok;
}

struct heads {
    struct witnessed *h;
    size_t n, cap;
};

/* The database's checkpoints, in order (the scan's), so seq ascending. */
static int keep(void *arg, const struct checkpoint_row *c)
{
    struct heads *x = arg;
    if (!c->head_hash)
        return PHR_OK;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        struct witnessed *p = realloc(x->h, cap * sizeof *p);
        if (!p)
            return PHR_ENOMEM;
        x->h = p;
        x->cap = cap;
    }
    x->h[x->n].seq = c->audit_seq;
    memcpy(x->h[x->n++].hash, c->head_hash, SHA256_BYTES);
    return PHR_OK;
}

/* 1 if a checkpoint of seq signs hash, 0 if none of seq does, -1 if one
 * of seq signs another. */
static int signed_as(const struct heads *x, const struct witnessed *w)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->h[mid].seq < w->seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    int found = 0;
    for (size_t i = lo; i < x->n && x->h[i].seq == w->seq; i++) {
        if (sodium_memcmp(x->h[i].hash, w->hash, SHA256_BYTES) == 0)
            return 1;
        found = 1;
    }
    return found ? -1 : 0;
}

int audit_verify_witness(struct store *st, const struct witnessed *w, size_t n, struct audit_report *report)
{
    struct heads x = {0};
    int err = store_checkpoint_scan(st, 0, keep, &x);
    for (size_t i = 0; !err && i < n; i++) {
        int s = signed_as(&x, &w[i]);
        if (s == 1)
            continue;
        report->first_bad_seq = w[i].seq;
        snprintf(report->problem, sizeof report->problem,
                 s ? "the checkpoint of entry %lld signs another head than the witness saw (rewritten)"
                   : "the witness saw a checkpoint of entry %lld that the database lacks (history and "
                     "checkpoints cut, or checkpoints deleted)",
                 (long long)w[i].seq);
        err = PHR_ECRYPTO;
    }
    free(x.h);
    return err;
}
