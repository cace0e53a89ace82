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
    int64_t first_bad_seq;   /* 0 when the chain verifies */
    int64_t bad_checkpoint;  /* the checkpoint that fails, 0 if none */
    char problem[200];
};

/* Verifies the chain end to end and every checkpoint against it, with the
 * public keys trusted (at least one; older keys after a rotation). PHR_OK,
 * or PHR_ECRYPTO with the report saying what and where. */
int audit_verify(struct store *st, const unsigned char (*trusted)[SIGN_PUBLIC_BYTES], size_t ntrusted,
                 struct audit_report *report);
/* The hash of one entry given its predecessor's (exposed for tests). */
void audit_hash(const unsigned char prev[SHA256_BYTES], const struct audit_row *e,
                unsigned char out[SHA256_BYTES]);

#endif
