/* The handling history at the command line:
 *   phr audit verify [--audit-pub HEX,...] [--witness FILE] [--records]
 *                                            the chain, every signed checkpoint, what
 *                                            a witness saw, and the records themselves
 *   phr audit pubkey                         the audit key's public half, for auditors
 *   phr audit keygen                         an audit key for a store made before it existed
 *   phr audit query  [filters] [--format jsonl]   entries matching the filters
 *   phr audit export [filters]                    the same as JSON lines with their hashes
 *   phr audit trace  --actor A | --client C [--from --to]
 *                                            which persons and records were touched */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "audit/audit.h"
#include "cli/commands.h"
#include "formats/fhirtime.h"
#include "crypto/sign.h"
#include "util/clock.h"
#include "util/err.h"

#define MAX_TRUSTED 8
#define VERIFY_OPTS (STORE_OPTS | BIT(OPT_AUDIT_PUB) | BIT(OPT_RECORDS) | BIT(OPT_CHECKPOINT))

/* The public keys to trust: given in hex, or the key file's own. */
static int trusted_keys(const struct cli *c, const struct paths *p, unsigned char (*pk)[SIGN_PUBLIC_BYTES],
                        size_t *n)
{
    *n = 0;
    const char *hex = c->val[OPT_AUDIT_PUB];
    if (hex) {
        while (*hex && *n < MAX_TRUSTED) {
            size_t len = strcspn(hex, ",");
            size_t got = 0;
            if (len != 2 * SIGN_PUBLIC_BYTES ||
                sodium_hex2bin(pk[*n], SIGN_PUBLIC_BYTES, hex, len, NULL, &got, NULL) != 0 ||
                got != SIGN_PUBLIC_BYTES) {
                fprintf(stderr, "phr audit verify: --audit-pub takes 64 hex characters per key\n");
                return -1;
            }
            (*n)++;
            hex += len + (hex[len] == ',');
        }
        return 0;
    }
    struct sign_key *k;
    int err = sign_key_load(p->audit_key.data, &k);
    if (err) {
        fprintf(stderr, "phr audit verify: cannot load the audit key %s (%s); give --audit-pub instead\n",
                p->audit_key.data, phr_strerror(err));
        return -1;
    }
    sign_key_public(k, pk[0]);
    sign_key_free(k);
    *n = 1;
    return 0;
}

/* The checkpoints a witness file (or a saved log) holds; -1 if it cannot
 * be read. */
static int read_witness(const char *path, struct witnessed **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "phr audit verify: cannot read the witness %s\n", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, room = 0;
    int rc = 0;
    while (getline(&line, &cap, f) > 0) {
        struct witnessed w;
        if (!audit_witness_read(line, &w))
            continue;
        if (*n == room) {
            size_t r = room ? room * 2 : 64;
            struct witnessed *p = realloc(*out, r * sizeof *p);
            if (!p) {
                rc = -1;
                break;
            }
            *out = p;
            room = r;
        }
        (*out)[(*n)++] = w;
    }
    free(line);
    fclose(f);
    return rc;
}

/* Entries left unsigned past twice the interval: the service stopped
 * without signing them (a crash: the next start signs them), or they were
 * rewritten after the last checkpoint. */
static int stale_tail(const struct cli *c, const struct audit_report *rep)
{
    long interval = cli_number(c, OPT_CHECKPOINT, 60, 0, 86400);
    if (interval <= 0 || !rep->oldest_unsigned_at || rep->entries == rep->signed_seq)
        return 0;
    int64_t age_ms = clock_now_ms() - rep->oldest_unsigned_at;
    if (age_ms <= 2000LL * interval)
        return 0;
    printf("audit chain NOT SIGNED: entries %lld to %lld are up to %.1f s old and no checkpoint signs them (the "
           "interval is %ld s): the service stopped without signing (a crash?), or they were rewritten\n",
           (long long)rep->signed_seq + 1, (long long)rep->entries, (double)age_ms / 1000, interval);
    return 1;
}

static int verify_records(struct store *st)
{
    struct records_report rr;
    int err = audit_verify_records(st, &rr);
    if (err == PHR_OK) {
        printf("records intact: %lld versions, %lld held against their writes' digests", (long long)rr.versions,
               (long long)rr.bound);
        if (rr.legacy)
            printf(" (%lld written before writes named digests: not checked)", (long long)rr.legacy);
        printf("\n");
        return 0;
    }
    if (err == PHR_ECRYPTO)
        printf("records TAMPERED: %s: %s\n", rr.record, rr.problem);
    else
        fprintf(stderr, "phr audit verify: cannot read the records: %s\n", phr_strerror(err));
    return 1;
}

static int verify(const struct cli *c, struct paths *p)
{
    unsigned char trusted[MAX_TRUSTED][SIGN_PUBLIC_BYTES];
    size_t ntrusted, nwitnessed = 0;
    struct witnessed *witnessed = NULL;
    if (trusted_keys(c, p, trusted, &ntrusted) ||
        (c->val[OPT_WITNESS] && read_witness(c->val[OPT_WITNESS], &witnessed, &nwitnessed)))
        return 1;
    struct store *st;
    int err = store_open(p->db.data, STORE_READONLY, &st);
    if (err) {
        fprintf(stderr, "phr audit verify: cannot open %s: %s\n", store_shown(p), phr_strerror(err));
        free(witnessed);
        return 1;
    }
    struct audit_report rep;
    double t0 = clock_mono_ms();
    err = audit_verify(st, trusted, ntrusted, &rep);
    if (!err)
        err = audit_verify_witness(st, witnessed, nwitnessed, &rep);
    double ms = clock_mono_ms() - t0;
    int rc = 1;
    if (err == PHR_OK) {
        printf("audit chain intact: %lld entries verified, %lld signed checkpoints", (long long)rep.entries,
               (long long)rep.checkpoints);
        if (rep.checkpoints)
            printf(" (the newest signs entry %lld; %lld entries after it not yet signed)", (long long)rep.signed_seq,
                   (long long)(rep.entries - rep.signed_seq));
        if (c->val[OPT_WITNESS])
            printf("; every one of the %zu checkpoints the witness saw is there", nwitnessed);
        printf("\nverified in %.0f ms (%.0f entries/s)\n", ms, ms > 0 ? rep.entries * 1000.0 / ms : 0.0);
        rc = stale_tail(c, &rep) || (c->val[OPT_RECORDS] && verify_records(st));
    } else if (err == PHR_ECRYPTO) {
        if (rep.first_bad_seq)
            printf("audit chain BROKEN at entry %lld: %s (%lld entries before it verified)\n",
                   (long long)rep.first_bad_seq, rep.problem, (long long)rep.entries);
        else
            printf("audit chain BROKEN: %s\n", rep.problem);
    } else {
        fprintf(stderr, "phr audit verify: cannot read the audit log: %s\n", phr_strerror(err));
    }
    store_close(st);
    free(witnessed);
    return rc;
}

static int pubkey(const struct paths *p)
{
    struct sign_key *k;
    int err = sign_key_load(p->audit_key.data, &k);
    if (err) {
        fprintf(stderr, "phr audit pubkey: cannot load %s: %s\n", p->audit_key.data, phr_strerror(err));
        return 1;
    }
    unsigned char pk[SIGN_PUBLIC_BYTES];
    char hex[2 * SIGN_PUBLIC_BYTES + 1], id[SIGN_KEY_ID_LEN + 1];
    sign_key_public(k, pk);
    sign_key_free(k);
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    sign_key_id(pk, id);
    printf("%s\n", hex);
    fprintf(stderr, "key id %s: give this public key to auditors (phr audit verify --audit-pub)\n", id);
    return 0;
}

static int keygen(const struct paths *p)
{
    int err = sign_key_create(p->audit_key.data);
    if (err) {
        fprintf(stderr, "phr audit keygen: %s %s\n",
                err == PHR_EEXIST ? "refusing to overwrite the existing audit key" : "cannot write", p->audit_key.data);
        return 1;
    }
    printf("audit key written: %s\n", p->audit_key.data);
    return 0;
}

#define QUERY_OPTS                                                                                           \
    (STORE_OPTS | BIT(OPT_ACTOR) | BIT(OPT_PERSON) | BIT(OPT_ACTION) | BIT(OPT_RESULT) | BIT(OPT_CLIENT) |     \
     BIT(OPT_FROM) | BIT(OPT_TO) | BIT(OPT_FORMAT))
#define JST_MIN (9 * 60)

static int parse_filter(const struct cli *c, struct audit_filter *f)
{
    memset(f, 0, sizeof *f);
    f->to = INT64_MAX;
    int64_t lo, hi;
    if (c->val[OPT_FROM]) {
        if (fhirtime_parse(c->val[OPT_FROM], FHIRTIME_SEARCH, JST_MIN, &lo, &hi)) {
            fprintf(stderr, "phr audit: --from must be a date or time such as 2026-11-24 or 2026-11-24T09:00+09:00\n");
            return -1;
        }
        f->from = lo;
    }
    if (c->val[OPT_TO]) {
        if (fhirtime_parse(c->val[OPT_TO], FHIRTIME_SEARCH, JST_MIN, &lo, &hi)) {
            fprintf(stderr, "phr audit: --to must be a date or time such as 2026-11-24 or 2026-11-24T18:00+09:00\n");
            return -1;
        }
        f->to = hi;
    }
    if (f->from > f->to) {
        fprintf(stderr, "phr audit: --from is after --to\n");
        return -1;
    }
    f->actor = c->val[OPT_ACTOR];
    f->subject = c->val[OPT_PERSON];
    f->action = c->val[OPT_ACTION];
    f->result = c->val[OPT_RESULT];
    f->client = c->val[OPT_CLIENT];
    if (f->result && strcmp(f->result, "allow") && strcmp(f->result, "deny")) {
        fprintf(stderr, "phr audit: --result is allow or deny\n");
        return -1;
    }
    return 0;
}

static void put_json_field(struct buf *b, const char *key, const char *v)
{
    buf_printf(b, ",\"%s\":", key);
    if (v)
        buf_json_str(b, v);
    else
        buf_puts(b, "null");
}

/* One entry as a JSON line with everything needed to recompute its hash
 * (docs/audit.md; scripts/verify-audit-export.mjs does it independently). */
static int print_jsonl(void *arg, const struct audit_row *a)
{
    (void)arg;
    struct buf b;
    buf_init(&b);
    char at[32], prev[2 * SHA256_BYTES + 1] = "", hash[2 * SHA256_BYTES + 1] = "";
    clock_format_ms(a->at, at);
    if (a->prev_hash)
        sodium_bin2hex(prev, sizeof prev, a->prev_hash, SHA256_BYTES);
    if (a->hash)
        sodium_bin2hex(hash, sizeof hash, a->hash, SHA256_BYTES);
    buf_printf(&b, "{\"seq\":%lld,\"at_ms\":%lld,\"at\":\"%s\"", (long long)a->seq, (long long)a->at, at);
    put_json_field(&b, "actor", a->actor);
    put_json_field(&b, "role", a->role);
    put_json_field(&b, "action", a->action);
    put_json_field(&b, "subject", a->subject);
    put_json_field(&b, "records", a->records);
    put_json_field(&b, "reason", a->reason);
    put_json_field(&b, "client", a->client);
    put_json_field(&b, "result", a->result);
    put_json_field(&b, "request_id", a->request_id);
    buf_printf(&b, ",\"prev_hash\":\"%s\",\"hash\":\"%s\"}\n", prev, hash);
    int err = b.data && fwrite(b.data, 1, b.len, stdout) == b.len ? PHR_OK : PHR_EIO;
    buf_free(&b);
    return err;
}

static int print_text(void *arg, const struct audit_row *a)
{
    (void)arg;
    char at[32];
    clock_format_ms(a->at, at);
    printf("%8lld %s %-5s %-16s %s subject=%s client=%s", (long long)a->seq, at, a->result ? a->result : "-",
           a->action ? a->action : "-", a->actor ? a->actor : "-", a->subject ? a->subject : "-",
           a->client ? a->client : "-");
    if (a->records)
        printf(" records=%s", a->records);
    if (a->reason)
        printf(" reason=%s", a->reason);
    printf("\n");
    return ferror(stdout) ? PHR_EIO : PHR_OK;
}

/* Incident tracing: per person touched, how often, which records, how many
 * refused; and the actions seen. */
#define TRACE_MAX 4096

struct trace {
    struct {
        char person[ID_LEN + 1];
        long allowed, denied;
        struct buf records;
    } p[TRACE_MAX];
    size_t n;
    long entries, unnamed;
    int overflow;
};

static int trace_row(void *arg, const struct audit_row *a)
{
    struct trace *t = arg;
    t->entries++;
    if (!a->subject || strlen(a->subject) > ID_LEN) {
        t->unnamed++;
        return PHR_OK;
    }
    size_t i = 0;
    while (i < t->n && strcmp(t->p[i].person, a->subject))
        i++;
    if (i == t->n) {
        if (t->n == TRACE_MAX) {
            t->overflow = 1;
            return PHR_OK;
        }
        snprintf(t->p[i].person, sizeof t->p[i].person, "%s", a->subject);
        buf_init(&t->p[i].records);
        t->n++;
    }
    int allowed = a->result && !strcmp(a->result, "allow");
    if (allowed)
        t->p[i].allowed++;
    else
        t->p[i].denied++;
    if (allowed && a->records && a->action && !strncmp(a->action, "record.", 7) &&
        ((t->p[i].records.len && buf_puts(&t->p[i].records, ",")) || buf_puts(&t->p[i].records, a->records)))
        return PHR_ENOMEM;
    return PHR_OK;
}

static int trace_print(struct trace *t, const struct audit_filter *f)
{
    char from[32], to[32];
    clock_format_ms(f->from, from);
    clock_format_ms(f->to == INT64_MAX ? clock_now_ms() : f->to, to);
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "{\"actor\":");
    if (f->actor)
        buf_json_str(&b, f->actor);
    else
        buf_puts(&b, "null");
    put_json_field(&b, "client", f->client);
    buf_printf(&b, ",\"from\":\"%s\",\"to\":\"%s\",\"entries\":%ld,\"without_person\":%ld,\"persons\":[", from, to,
               t->entries, t->unnamed);
    for (size_t i = 0; i < t->n; i++) {
        buf_printf(&b, "%s{\"person\":\"%s\",\"allowed\":%ld,\"denied\":%ld,\"records\":[", i ? "," : "",
                   t->p[i].person, t->p[i].allowed, t->p[i].denied);
        const char *r = t->p[i].records.len ? t->p[i].records.data : "";
        int first = 1;
        while (*r) {
            size_t len = strcspn(r, ",");
            buf_puts(&b, first ? "\"" : ",\"");
            buf_json_escape(&b, r, len);
            buf_puts(&b, "\"");
            first = 0;
            r += len + (r[len] == ',');
        }
        buf_puts(&b, "]}");
        buf_free(&t->p[i].records);
    }
    buf_printf(&b, "],\"truncated\":%s}\n", t->overflow ? "true" : "false");
    int rc = b.data && fwrite(b.data, 1, b.len, stdout) == b.len ? 0 : 1;
    buf_free(&b);
    return rc;
}

static int client_ok(const char *client)
{
    if (client && strlen(client) > 63) {
        fprintf(stderr, "phr audit: --client is an address (at most 63 bytes)\n");
        return -1;
    }
    return 0;
}

static int read_history(const struct cli *c, struct paths *p, const char *sub)
{
    struct audit_filter f;
    if (parse_filter(c, &f))
        return 2;
    int is_trace = !strcmp(sub, "trace");
    if (is_trace && !f.actor && !f.client) {
        fprintf(stderr, "phr audit trace: give --actor or --client (and --from, --to)\n");
        return 2;
    }
    const char *fmt = c->val[OPT_FORMAT];
    if (fmt && strcmp(fmt, "text") && strcmp(fmt, "jsonl")) {
        fprintf(stderr, "phr audit: --format is text or jsonl\n");
        return 2;
    }
    if (client_ok(f.client) != 0)
        return 2;
    struct service *svc = NULL;
    if (open_service(c, p, &svc) != PHR_OK)
        return 1;
    struct actor a = operator_actor("operator");
    struct trace *t = is_trace ? calloc(1, sizeof *t) : NULL;
    int err;
    if (is_trace && !t)
        err = PHR_ENOMEM;
    else if (is_trace)
        err = audit_read(svc, &a, "trace", &f, trace_row, t);
    else if (!strcmp(sub, "export") || (fmt && !strcmp(fmt, "jsonl")))
        err = audit_read(svc, &a, sub, &f, print_jsonl, NULL);
    else
        err = audit_read(svc, &a, sub, &f, print_text, NULL);
    int rc = err ? 1 : 0;
    if (err)
        fprintf(stderr, "phr audit %s: %s\n", sub, phr_strerror(err));
    else if (is_trace)
        rc = trace_print(t, &f);
    free(t);
    service_close(svc);
    return rc;
}

int cmd_audit(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    const char *sub = argc >= 2 ? argv[1] : "";
    int is_verify = !strcmp(sub, "verify");
    int is_read = !strcmp(sub, "query") || !strcmp(sub, "export") || !strcmp(sub, "trace");
    if (!is_verify && !is_read && strcmp(sub, "pubkey") && strcmp(sub, "keygen")) {
        fprintf(stderr, "usage: phr audit verify|query|export|trace|pubkey|keygen --data DIR\n");
        return 2;
    }
    opt_mask opts = is_verify ? VERIFY_OPTS : is_read ? QUERY_OPTS : STORE_OPTS;
    int started;
    if (cli_start(argc - 1, argv + 1, "audit verify|query|export|trace|pubkey|keygen",
                  "verify: checks the handling history's hash chain end to end and every signed\n"
                  "  checkpoint against it: an altered, removed, reordered or cut-off entry is found\n"
                  "  and named. Exit status 0: intact; 1: broken or unreadable.\n"
                  "query: the entries matching every filter given, in time order (--format jsonl).\n"
                  "export: the same as JSON lines with each entry's hashes, for independent checking\n"
                  "  (scripts/verify-audit-export.mjs).\n"
                  "trace: which persons and records an actor (--actor) or a client address\n"
                  "  (--client) touched between --from and --to, as JSON.\n"
                  "  query, export and trace are themselves recorded in the history.\n"
                  "pubkey: prints the audit key's public half, which is all an auditor needs.\n"
                  "keygen: creates the audit key for a store initialised before it existed.",
                  opts, &c, &started))
        return started;
    int rc = 1;
    if (paths_for(&c, &p) == 0)
        rc = is_verify ? verify(&c, &p)
             : is_read ? read_history(&c, &p, sub)
             : !strcmp(sub, "pubkey") ? pubkey(&p)
                                      : keygen(&p);
    paths_free(&p);
    return rc;
}
