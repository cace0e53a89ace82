/* The handling history (R2.3): its hash-chained entries, the queries over
 * them, the signed checkpoints of its head, and incident records (R2.8). */
#ifndef PHR_STORE_AUDIT_H
#define PHR_STORE_AUDIT_H

#include "model/rows.h"

struct store;

int store_audit_insert(struct store *st, const struct audit_row *a);
/* The newest entry's seq and hash; PHR_ENOTFOUND for an empty history. */
int store_audit_last(struct store *st, int64_t *seq, unsigned char hash[SHA256_BYTES]);
/* In seq order from from_seq. A malformed hash is handed on as NULL. */
int store_audit_scan(struct store *st, int64_t from_seq, audit_cb cb, void *arg);
/* Entries matching the filter, in time order. */
int store_audit_query(struct store *st, const struct audit_filter *f, audit_cb cb, void *arg);
/* Entries about a person by anyone else, newest first, at most limit. */
int store_audit_by_others(struct store *st, const char *person, int limit, audit_cb cb, void *arg);
/* The same entries oldest first, after seq after_seq, at most limit. */
int store_audit_about(struct store *st, const char *person, int64_t after_seq, int limit, audit_cb cb, void *arg);
int store_checkpoint_insert(struct store *st, const struct checkpoint_row *c);
/* All checkpoints in order; or (last) only the newest. A malformed one is
 * handed on with NULL hash or signature, for verification to report. */
int store_checkpoint_scan(struct store *st, int last, checkpoint_cb cb, void *arg);
/* *id: the new record's; PHR_ENOTFOUND if refers_to names no incident. */
int store_incident_insert(struct store *st, const struct incident_row *r, int64_t *id);
int store_incident_list(struct store *st, int (*cb)(void *, const struct incident_row *), void *arg);

#endif
