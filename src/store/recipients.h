/* Outside organisations (R2.7) — recipients of provision, processors,
 * partners — their groups and agreements, and the provision
 * records (R3.4, R3.7). */
#ifndef PHR_STORE_RECIPIENTS_H
#define PHR_STORE_RECIPIENTS_H

#include "model/rows.h"

struct store;

int store_recipient_insert(struct store *st, const struct recipient_row *r);
/* PHR_ENOTFOUND. */
int store_recipient_get(struct store *st, const char *id, int (*cb)(void *, const struct recipient_row *), void *arg);
/* Every organisation with its newest agreement and its groups. */
int store_recipient_list(struct store *st, int (*cb)(void *, const struct recipient_row *), void *arg);
/* PHR_ECONFLICT if the group exists. */
int store_group_insert(struct store *st, const char *code, const char *name, int64_t at);
/* join or leave; PHR_ECONFLICT if already (not) a member, PHR_ENOTFOUND if
 * the group or the recipient does not exist. */
int store_group_change(struct store *st, const char *group, const char *recipient, const char *action, int64_t at);
/* PHR_OK if recipient belongs to group, PHR_ENOTFOUND if not. */
int store_group_member(struct store *st, const char *group, const char *recipient);
/* Every basis there is now for providing person's data to recipient (none:
 * no callback); group: only through that recipient group (a Group export),
 * or NULL for any. */
int store_provision_bases(struct store *st, const char *recipient, const char *person, const char *group, int64_t now,
                          int (*cb)(void *, const struct provision_basis_row *), void *arg);
/* PHR_ENOTFOUND if the recipient does not exist. */
int store_agreement_insert(struct store *st, const struct agreement_row *a);
int store_provision_insert(struct store *st, const struct provision_row *p);
/* One person's provision records, oldest first, with the recipient. */
int store_provision_list(struct store *st, const char *person, int (*cb)(void *, const struct provision_row *),
                         void *arg);

#endif
