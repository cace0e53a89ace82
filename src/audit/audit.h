/* The handling history (取扱い履歴): an append-only hash chain.
 *
 * Entry n's hash is SHA-256("phr-audit-v1" || hash(n-1) || encode(entry n)),
 * where encode() length-prefixes every field, so no two different entries
 * encode alike. Changing, deleting, inserting or reordering any entry breaks
 * every hash after it; audit_verify() names the first broken entry.
 * Cutting entries off the end leaves a valid shorter chain: signed
 * checkpoints are what detect that. audit_checkpoint() signs the chain head
 * (its sequence number and hash) with the audit key, kept outside the
 * database; audit_verify() checks every checkpoint against the chain, so
 * a tail cut below a signed head, or a rewritten one, fails. Entries after
 * the newest checkpoint are reported as not yet signed.
 *
 * Entries hold who, what, on whom, which records and the result; never a
 * health value. */
#ifndef PHR_AUDIT_H
#define PHR_AUDIT_H

#include <stdint.h>

#include "crypto/sign.h"
#include "store/store.h"

/* Appends e (seq, prev_hash and hash are filled in) inside the caller's
 * transaction, so that the entry commits together with the change it
 * describes, or not at all. */
int audit_append(struct store *st, const struct audit_row *e);

/* Signs the chain head if entries were added since the last checkpoint,
 * inside the caller's transaction. *made: 1 if a checkpoint was written,
 * with its entry's seq and hash (for the log line, an outside witness). */
int audit_checkpoint(struct store *st, const struct sign_key *key, int64_t now, int *made, int64_t *seq,
                     unsigned char hash[SHA256_BYTES]);

struct audit_report {
    int64_t entries;
    int64_t checkpoints;
    int64_t signed_seq;      /* the newest checkpoint's entry, 0 if none */
    int64_t oldest_unsigned_at; /* the first entry after it: its time, 0 if none */
    int64_t first_bad_seq;   /* 0 when the chain verifies */
    int64_t bad_checkpoint;  /* the checkpoint that fails, 0 if none */
    char problem[200];
};

/* Verifies the chain end to end and every checkpoint against it, with the
 * public keys trusted (at least one; older keys after a rotation). PHR_OK,
 * or PHR_ECRYPTO with the report saying what and where. */
int audit_verify(struct store *st, const unsigned char (*trusted)[SIGN_PUBLIC_BYTES], size_t ntrusted,
                 struct audit_report *report);
/* What a write's entry names of each record version it wrote, so that
 * the records themselves are tamper-evident (`phr audit verify
 * --records`): "Observation/{id}/_history/{v}@" and 32 hex digits of a
 * SHA-256 over every column the store keeps of the version but `current`
 * (its index columns, its sealed body and original). */
#define AUDIT_BINDING_MAX 160
void audit_record_binding(const struct record_row *r, char out[AUDIT_BINDING_MAX]);

/* A checkpoint seen outside the database: the witness file's lines and
 * the log's "audit.checkpoint" lines are the same JSON line. */
struct witnessed {
    int64_t seq;
    unsigned char hash[SHA256_BYTES];
};
/* 1 if line is such a line (filled in), 0 if it is another line. */
int audit_witness_read(const char *line, struct witnessed *out);
/* With the chain verified (audit_verify): every witnessed checkpoint must
 * be in the database, signing the same head. PHR_OK, or PHR_ECRYPTO with
 * the report saying which is missing (cut together with the history, or
 * deleted) or contradicted. */
int audit_verify_witness(struct store *st, const struct witnessed *w, size_t n, struct audit_report *report);

struct records_report {
    int64_t versions;        /* record versions in the store */
    int64_t bound;           /* of them, named with their digest by their write's entry */
    int64_t legacy;          /* written before writes named digests: not checked */
    char record[AUDIT_BINDING_MAX]; /* the record that fails */
    char problem[160];
};
/* Every record version against its write's entry: a row edited (index
 * columns, body), deleted (but by an erasure of its person), inserted
 * past the service, or rolled back (an older version made current).
 * PHR_OK, or PHR_ECRYPTO with the report naming the record. */
int audit_verify_records(struct store *st, struct records_report *report);

/* The hash of one entry given its predecessor's (exposed for tests). */
void audit_hash(const unsigned char prev[SHA256_BYTES], const struct audit_row *e,
                unsigned char out[SHA256_BYTES]);

#endif
