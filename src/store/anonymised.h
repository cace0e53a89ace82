/* Anonymised data sets made (service/anonymised.c): each one's published
 * part (JSON: name, when, items, quasi-identifiers, rows, k) and its
 * processing method (JSON: the spec and the levels reached). */
#ifndef PHR_STORE_ANONYMISED_H
#define PHR_STORE_ANONYMISED_H

#include <stdint.h>

struct store;

struct anonymised_row {
    int64_t id, made_at;
    const char *name, *made_by, *published, *method, *table_sha256;
};

/* PHR_ECONFLICT if a data set of that name was made before. */
int store_anonymised_insert(struct store *st, const struct anonymised_row *r, int64_t *id);
/* Every data set made, oldest first. */
int store_anonymised_list(struct store *st, int (*cb)(void *, const struct anonymised_row *), void *arg);
/* PHR_ENOTFOUND if there is none of that name. */
int store_anonymised_get(struct store *st, const char *name, int (*cb)(void *, const struct anonymised_row *),
                         void *arg);

struct anonymised_provision_row {
    int64_t set_id, provided_at;
    const char *recipient_id, *recipient_country, *method, *provided_by;
};

/* A provision of data set set_id; PHR_ENOTFOUND if the recipient is none
 * the service knows, PHR_EPERM if it has no agreement in force at `at`. */
int store_anonymised_provide(struct store *st, const struct anonymised_provision_row *p);
/* A data set's provisions, oldest first, with each recipient's country. */
int store_anonymised_provisions(struct store *st, int64_t set_id,
                                int (*cb)(void *, const struct anonymised_provision_row *), void *arg);

#endif
