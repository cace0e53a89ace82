/* Bulk Data exports (R4.4) recipients start; their files are made when
 * fetched, walking persons with store_person_page. */
#ifndef PHR_STORE_BULK_H
#define PHR_STORE_BULK_H

#include "model/rows.h"

struct store;

int store_bulk_export_insert(struct store *st, const struct bulk_export_row *b);
/* PHR_ENOTFOUND if none. */
int store_bulk_export_get(struct store *st, const char *id, int (*cb)(void *, const struct bulk_export_row *),
                          void *arg);
/* PHR_ENOTFOUND if none, or cancelled already. */
int store_bulk_export_cancel(struct store *st, const char *id, int64_t at);

#endif
