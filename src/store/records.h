/* Records: every version of every record, sealed, with the plaintext
 * index columns searches and the gate decide on. */
#ifndef PHR_STORE_RECORDS_H
#define PHR_STORE_RECORDS_H

#include "model/rows.h"

struct store;

/* Every record is written with its data kind (the gate decides on it):
 * PHR_EINVAL without one. */
int store_record_insert(struct store *st, const struct record_row *r);
/* version 0: the current version. PHR_ENOTFOUND. */
int store_record_get(struct store *st, const char *id, int version, record_cb cb, void *arg);
/* Marks the current version `version` of id as superseded; PHR_ECONFLICT
 * if it is not the current one. */
int store_record_supersede(struct store *st, const char *id, int version);
/* After version `version` of id is written over a superseded one: links
 * the one it replaced to it. */
int store_record_replaced(struct store *st, const char *id, int version);
/* Every version, newest first. PHR_ENOTFOUND. */
int store_record_history(struct store *st, const char *id, record_cb cb, void *arg);
/* The versions matching q (rows carry their rowid), in q's order then the
 * order of writing, and how many match (q->after aside). */
int store_record_search(struct store *st, const struct record_query *q, record_cb cb, void *arg);
int store_record_count(struct store *st, const struct record_query *q, int64_t *n);
/* Whether a version of the person's was replaced after the snapshot. A
 * replacement is one transaction: asked after a search without
 * q->replaced, "no" proves that search saw the snapshot whole. */
int store_record_replaced_since(struct store *st, const char *person, int64_t snapshot, int *any);
/* The current record of this type whose original has this keyed digest (a
 * document imported before); id holds 37. PHR_ENOTFOUND. */
int store_record_by_original(struct store *st, const char *person, const char *type, const unsigned char mac[32],
                             char id[37]);
/* Every version (or only the current ones) of a person's records (person
 * NULL, not current_only: everyone's) written after cursor `after` (0:
 * from the start), at most limit, in the order of writing; *last: the
 * cursor to go on from. */
/* The person's current records recorded in (after, until], counted by
 * resource type and kind of data (NULL for one not classified yet). */
int store_record_counts(struct store *st, const char *person, int64_t after, int64_t until,
                        int (*cb)(void *, const char *type, const char *data_kind, int64_t n), void *arg);
int store_record_page(struct store *st, const char *person, int current_only, int64_t after, int limit, record_cb cb,
                      void *arg, int64_t *last);
/* Versions written before records had a data kind (at most limit), and
 * one such version's kind set. */
int store_record_unclassified(struct store *st, int limit, record_cb cb, void *arg);
int store_record_classify(struct store *st, const char *id, int version, const char *data_kind);

#endif
