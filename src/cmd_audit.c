/* The handling history at the command line:
 *   phr audit verify [--audit-pub HEX,...]   the chain and every signed checkpoint
 *   phr audit pubkey                         the audit key's public half, for auditors
 *   phr audit keygen                         an audit key for a store made before it existed */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "audit/audit.h"
#include "commands.h"
#include "crypto/sign.h"
#include "util/clock.h"
#include "util/err.h"

#define MAX_TRUSTED 8
#define VERIFY_OPTS (STORE_OPTS | BIT(OPT_AUDIT_PUB))

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

static int verify(const struct cli *c, const struct paths *p)
{
    unsigned char trusted[MAX_TRUSTED][SIGN_PUBLIC_BYTES];
    size_t ntrusted;
    if (trusted_keys(c, p, trusted, &ntrusted))
        return 1;
    struct store *st;
    int err = store_open(p->db.data, STORE_READONLY, &st);
    if (err) {
        fprintf(stderr, "phr audit verify: cannot open %s: %s\n", p->db.data, phr_strerror(err));
        return 1;
    }
    struct audit_report rep;
    double t0 = clock_mono_ms();
    err = audit_verify(st, trusted, ntrusted, &rep);
    double ms = clock_mono_ms() - t0;
    store_close(st);
    if (err == PHR_OK) {
        printf("audit chain intact: %lld entries verified, %lld signed checkpoints", (long long)rep.entries,
               (long long)rep.checkpoints);
        if (rep.checkpoints)
            printf(" (the newest signs entry %lld; %lld entries after it not yet signed)", (long long)rep.signed_seq,
                   (long long)(rep.entries - rep.signed_seq));
        printf("\nverified in %.0f ms (%.0f entries/s)\n", ms, ms > 0 ? rep.entries * 1000.0 / ms : 0.0);
        return 0;
    }
    if (err == PHR_ECRYPTO) {
        if (rep.first_bad_seq)
            printf("audit chain BROKEN at entry %lld: %s (%lld entries before it verified)\n",
                   (long long)rep.first_bad_seq, rep.problem, (long long)rep.entries);
        else
            printf("audit chain BROKEN: %s\n", rep.problem);
        return 1;
    }
    fprintf(stderr, "phr audit verify: cannot read the audit log: %s\n", phr_strerror(err));
    return 1;
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

int cmd_audit(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    const char *sub = argc >= 2 ? argv[1] : "";
    int is_verify = !strcmp(sub, "verify");
    if (!is_verify && strcmp(sub, "pubkey") && strcmp(sub, "keygen")) {
        fprintf(stderr, "usage: phr audit verify|pubkey|keygen --data DIR\n");
        return 2;
    }
    if (cli_parse(argc - 1, argv + 1, is_verify ? VERIFY_OPTS : STORE_OPTS, &c))
        return 2;
    if (c.help) {
        cli_usage("audit verify|pubkey|keygen",
                  "verify: checks the handling history's hash chain end to end and every signed\n"
                  "  checkpoint against it: an altered, removed, reordered or cut-off entry is found\n"
                  "  and named. Exit status 0: intact; 1: broken or unreadable.\n"
                  "pubkey: prints the audit key's public half, which is all an auditor needs.\n"
                  "keygen: creates the audit key for a store initialised before it existed.",
                  is_verify ? VERIFY_OPTS : STORE_OPTS);
        return 0;
    }
    set_log_level(&c);
    int rc = 1;
    if (paths_for(&c, &p) == 0)
        rc = is_verify ? verify(&c, &p) : !strcmp(sub, "pubkey") ? pubkey(&p) : keygen(&p);
    paths_free(&p);
    return rc;
}
