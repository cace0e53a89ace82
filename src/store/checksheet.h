/* The checksheet (R5.1-R5.3): the facts it computes from the store itself,
 * the security officer's answers, and the assessments. */
#ifndef PHR_STORE_CHECKSHEET_H
#define PHR_STORE_CHECKSHEET_H

#include "model/rows.h"

struct store;

/* Reads by recipients since provisions_since must each have a provision
 * record. */
int store_checksheet_facts(struct store *st, int64_t provisions_since, struct checksheet_facts *out);
int store_checksheet_answer_insert(struct store *st, const struct checksheet_answer_row *a);
/* The latest answer per item. */
int store_checksheet_answers_latest(struct store *st, int (*cb)(void *, const struct checksheet_answer_row *),
                                    void *arg);
int store_assessment_insert(struct store *st, const struct assessment_row *a, int64_t *id);
/* PHR_ECONFLICT if approved already or absent. */
int store_assessment_approve(struct store *st, int64_t id, int64_t at, const char *by);
/* PHR_ENOTFOUND. */
int store_assessment_get(struct store *st, int64_t id, int (*cb)(void *, const struct assessment_row *), void *arg);
/* Newest first. */
int store_assessment_list(struct store *st, int approved_only, int (*cb)(void *, const struct assessment_row *),
                          void *arg);

#endif
