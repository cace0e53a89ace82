/* Every anonymised data set's kept table recounted (service/anonymised_check.c),
 * for the checksheet's item on anonymised data (R3.13, R5.1). */
#ifndef PHR_SERVICE_ANONYMISED_CHECK_H
#define PHR_SERVICE_ANONYMISED_CHECK_H

#include <stdint.h>

struct service;
struct store;

struct anonymised_recount {
    int64_t sets;          /* data sets recorded */
    int64_t verified;      /* kept, as recorded, items published, k (and l) met on recounting */
    int64_t not_kept;      /* no table kept, or one that does not open */
    char first_bad[64];    /* the first kept one that failed, or "" */
};

/* With rd, a reader the caller holds. An error code. */
int anonymised_recount(struct service *svc, struct store *rd, struct anonymised_recount *out);

#endif
