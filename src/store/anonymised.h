/* Anonymised data sets made (service/anonymised.c): each one's published
 * part (JSON: name, when, items, quasi-identifiers, rows, k) and its
 * processing method (JSON: the spec and the levels reached). */
#ifndef PHR_STORE_ANONYMISED_H
#define PHR_STORE_ANONYMISED_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct anonymised_row {
    int64_t id, made_at;
    const char *name, *made_by, *published, *method, *table_sha256;
};

/* The table as kept: sealed under a key of its own, that key sealed under
 * the master key (service/anonymised_table.c). Lists and gets leave them
 * out; NULL for a data set made before tables were kept. */
struct anonymised_sealed {
    const char *name, *table_sha256;
    const unsigned char *key, *table;
    size_t key_len, table_len;
};

/* PHR_ECONFLICT if a data set of that name was made before. sealed: the
 * table as kept, or NULL. */
int store_anonymised_insert(struct store *st, const struct anonymised_row *r, const struct anonymised_sealed *sealed,
                            int64_t *id);
/* One data set's table as kept; PHR_ENOTFOUND if there is no data set of
 * that name (a set without a kept table comes with NULLs). */
int store_anonymised_sealed(struct store *st, const char *name,
                            int (*cb)(void *, const struct anonymised_sealed *), void *arg);
/* Every kept table's key, for the key rotation (table left out), and the
 * re-sealed key written back. */
int store_anonymised_keys(struct store *st, int (*cb)(void *, const struct anonymised_sealed *), void *arg);
int store_anonymised_key_update(struct store *st, const char *name, const unsigned char *key, size_t len);
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
