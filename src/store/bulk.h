/* Bulk Data exports (R4.4) recipients start, prepared (counted) in the
 * background; their files are made when fetched, walking persons with
 * store_person_page. */
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
/* The oldest live export not prepared yet; PHR_ENOTFOUND if none. */
int store_bulk_export_unprepared(struct store *st, int64_t now, int (*cb)(void *, const struct bulk_export_row *),
                                 void *arg);
/* Its counts ("Type:n,…"); a second preparation changes nothing. */
int store_bulk_export_prepared(struct store *st, const char *id, int64_t at, const char *counts);

#endif
