/* A data set's table as kept in the store (service/anonymised_table.c),
 * for the service's own modules: sealing it when made, its hash when
 * provided without a file, re-sealing its key when the master key rotates.
 * Taking the table out (anonymised_table) is in service.h. */
#ifndef PHR_SERVICE_ANONYMISED_TABLE_H
#define PHR_SERVICE_ANONYMISED_TABLE_H

#include <stdint.h>

#include "crypto/keys.h"
#include "util/buf.h"
#include "util/fault.h"

struct service;
struct store;

struct anonymised_kept {
    unsigned char key[DATA_KEY_BYTES + MKEY_SEAL_OVERHEAD];   /* its key, sealed under the master key */
    struct buf table;                                         /* the table, sealed under its key */
};

/* PHR_ENOMEM, or 0 with out filled (free with anonymised_kept_free). */
int anonymised_seal(const struct service *svc, const char *name, const struct buf *table, struct anonymised_kept *out);
void anonymised_kept_free(struct anonymised_kept *k);
/* The table kept for name into out, with rd (a reader the caller holds),
 * checked against the hash recorded. 0, or -1 with the fault. */
int anonymised_kept_open(struct service *svc, struct store *rd, const char *name, struct buf *out, struct fault *fault);
/* The SHA-256 (hex) of the table kept for name, opened and checked against
 * the one recorded. 0, or -1 with the fault. */
int anonymised_kept_sha256(struct service *svc, const char *name, char hex[65], struct fault *fault);
/* Every kept table's key that does not open under the current master key,
 * re-sealed under it (done: how many). An error code. */
int anonymised_reseal_keys(struct service *svc, int64_t *done);

#endif
