/* The handling history (取扱い履歴): an append-only hash chain.
 *
 * Entry n's hash is SHA-256("phr-audit-v1" || hash(n-1) || encode(entry n)),
 * where encode() length-prefixes every field, so no two different entries
 * encode alike. Changing, deleting, inserting or reordering any entry breaks
 * every hash after it; audit_verify() names the first broken entry.
 * Cutting entries off the end leaves a valid shorter chain: signed
 * checkpoints (a later issue) are what detect that.
 *
 * Entries hold who, what, on whom, which records and the result; never a
 * health value. */
#ifndef PHR_AUDIT_H
#define PHR_AUDIT_H

#include <stdint.h>

#include "store/store.h"

/* Appends e (seq, prev_hash and hash are filled in) inside the caller's
 * transaction, so that the entry commits together with the change it
 * describes, or not at all. */
int audit_append(struct store *st, const struct audit_row *e);

struct audit_report {
    int64_t entries;
    int64_t first_bad_seq;   /* 0 when the chain verifies */
    char problem[160];
};

/* PHR_OK if the whole chain verifies; PHR_ECRYPTO with report filled if not. */
int audit_verify(struct store *st, struct audit_report *report);
/* The hash of one entry given its predecessor's (exposed for tests). */
void audit_hash(const unsigned char prev[SHA256_BYTES], const struct audit_row *e,
                unsigned char out[SHA256_BYTES]);

#endif
