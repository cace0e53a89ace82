/* Consent (R3.1-R3.6, R3.9): published documents and purposes, never
 * changed; the consent and suspension ledgers, appended to, with their
 * current state kept beside them by the same operation. */
#ifndef PHR_STORE_CONSENT_H
#define PHR_STORE_CONSENT_H

#include "model/rows.h"

struct store;

int store_document_insert(struct store *st, const struct document_row *d);
/* The newest version of each kind, each language. */
int store_document_current(struct store *st, int (*cb)(void *, const struct document_row *), void *arg);
/* Every version of a kind, newest first (each language). */
int store_document_versions(struct store *st, const char *kind, int (*cb)(void *, const struct document_row *),
                            void *arg);
/* Inserts a version and moves the purpose's current row to it. */
int store_purpose_insert(struct store *st, const struct purpose_row *p);
/* Current versions, retired ones included, in the order first published. */
int store_purpose_current(struct store *st, int (*cb)(void *, const struct purpose_row *), void *arg);
int store_consent_append(struct store *st, const struct consent_row *c);
/* One person's ledger, oldest first. */
int store_consent_history(struct store *st, const char *person_id, int (*cb)(void *, const struct consent_row *),
                          void *arg);
/* One person's latest decision per purpose. */
int store_consent_state(struct store *st, const char *person_id, int (*cb)(void *, const struct consent_row *),
                        void *arg);
int store_consent_facts(struct store *st, const char *person_id, struct consent_facts *out);
/* *yes: the person has a live grant to the purpose and has not suspended
 * its use (nor all use). */
int store_purpose_in_use(struct store *st, const char *person_id, const char *purpose, int *yes);
/* PHR_ECONFLICT: suspending what is suspended, lifting what is not. */
int store_suspension_append(struct store *st, const struct suspension_row *r);
int store_suspension_history(struct store *st, const char *person_id,
                             int (*cb)(void *, const struct suspension_row *), void *arg);

#endif
