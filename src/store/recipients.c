/* Recipients, groups, client tokens and provisions, written once over the
 * driver.
 *
 * The basis for a provision is found in one statement: a purpose in force
 * that names a group the recipient belongs to now and the kind of data
 * asked for, granted by the person at a version that still covers it, not
 * suspended, and, for a recipient abroad, granted naming its country; and
 * an agreement with the recipient in force. */
#include "store/recipients.h"

#include <stdio.h>
#include <string.h>

#include "store/internal.h"

#define LIST_SQL(groups)                                                                                        \
    "SELECT r.id, r.name, r.address, r.country, r.contact, r.created_at, r.kind, a.version, a.signed_on,"       \
    " a.certification, a.cert_expires, a.ended, " groups " FROM recipients r LEFT JOIN agreements a ON a.seq =" \
    " (SELECT max(seq) FROM agreements WHERE recipient_id = r.id) ORDER BY r.kind, r.name"

static struct db_stmt insert = DB_STMT(
    "recipient_insert", "INSERT INTO recipients(id, name, address, country, contact, secret_hash, created_at, kind)"
                        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
static struct db_stmt get = DB_STMT(
    "recipient_get", "SELECT id, name, address, country, contact, secret_hash, created_at, kind FROM recipients"
                     " WHERE id = ?1");
static struct db_stmt list = DB_STMT2(
    "recipient_list",
    LIST_SQL("(SELECT group_concat(group_code, ',') FROM (SELECT group_code FROM group_members"
             " WHERE recipient_id = r.id ORDER BY group_code))"),
    LIST_SQL("(SELECT string_agg(group_code, ',' ORDER BY group_code) FROM group_members"
             " WHERE recipient_id = r.id)"));
static struct db_stmt group_insert = DB_STMT(
    "group_insert", "INSERT INTO recipient_groups(code, name, created_at) VALUES(?1, ?2, ?3)");
static struct db_stmt group_is = DB_STMT(
    "group_is", "SELECT 1 FROM group_members WHERE group_code = ?1 AND recipient_id = ?2");
static struct db_stmt group_exists = DB_STMT(
    "group_exists", "SELECT (SELECT count(*) FROM recipient_groups WHERE code = ?1)"
                    " + (SELECT count(*) FROM recipients WHERE id = ?2)");
static struct db_stmt group_change = DB_STMT(
    "group_change", "INSERT INTO group_changes(group_code, recipient_id, action, at) VALUES(?1, ?2, ?3, ?4)");
static struct db_stmt group_join = DB_STMT(
    "group_join", "INSERT INTO group_members(group_code, recipient_id, since) VALUES(?1, ?2, ?3)");
static struct db_stmt group_leave = DB_STMT(
    "group_leave", "DELETE FROM group_members WHERE group_code = ?1 AND recipient_id = ?2");
/* Driven from the recipient's memberships (one or two groups), so that the
 * cost does not grow with the person's decisions or the number of
 * purposes: measured in bench/gate. SQLite keeps the order of CROSS JOINs
 * as written; PostgreSQL plans the order itself. */
#define BASES(join)                                                                                          \
    "SELECT p.code, p.version, s.seq, v.kinds FROM group_members m"                                          \
    " " join " purposes v ON v.recipient_group = m.group_code"                                               \
    " " join " purpose_current p ON p.code = v.code AND p.version = v.version AND p.retired = 0"             \
    " " join " consent_state s ON s.person_id = ?2 AND s.purpose = p.code AND s.decision = 'grant'"          \
    "   AND s.purpose_version >= p.covered_from"                                                             \
    " " join " consents c ON c.seq = s.seq"                                                                  \
    " " join " recipients r ON r.id = m.recipient_id AND r.kind = 'recipient'"                               \
    " WHERE m.recipient_id = ?1 AND (?4 IS NULL OR m.group_code = ?4)"                                       \
    "   AND (r.country = 'JP' OR instr(',' || c.countries || ',', ',' || r.country || ',') > 0)"             \
    "   AND NOT EXISTS (SELECT 1 FROM suspension_state x WHERE x.person_id = ?2 AND x.purpose IN ('*', p.code))" \
    "   AND EXISTS (SELECT 1 FROM agreements g WHERE g.seq = (SELECT max(seq) FROM agreements"               \
    "     WHERE recipient_id = ?1) AND g.ended = 0 AND (g.cert_expires IS NULL OR g.cert_expires > ?3))"     \
    " ORDER BY p.code"
static struct db_stmt bases = DB_STMT2("provision_bases", BASES("CROSS JOIN"), BASES("JOIN"));
static struct db_stmt agreement_insert = DB_STMT(
    "agreement_insert", "INSERT INTO agreements(recipient_id, signed_on, version, certification, cert_expires, ended,"
                        " recorded_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
static struct db_stmt provision_insert = DB_STMT_DEFER(
    "provision_insert", "INSERT INTO provisions(at, recipient_id, person_id, purpose, purpose_version, consent_seq,"
                        " items, request_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
static struct db_stmt provision_list = DB_STMT(
    "provision_list", "SELECT p.seq, p.at, p.recipient_id, p.person_id, p.purpose, p.purpose_version,"
                      " p.consent_seq, p.items, p.request_id, r.name, r.country FROM provisions p"
                      " LEFT JOIN recipients r ON r.id = p.recipient_id WHERE p.person_id = ?1 ORDER BY p.seq");

int store_recipient_insert(struct store *st, const struct recipient_row *r)
{
    return st_exec(st, &insert,
                   DB_ARGS(DB_STR(r->id), DB_STR(r->name), DB_STR(r->address), DB_STR(r->country),
                           DB_STR(r->contact), DB_BLOB(r->secret_hash, SHA256_BYTES), DB_INT(r->created_at),
                           DB_STR(r->kind ? r->kind : "recipient")));
}

static int one_of(void *arg, const struct db_row *q)
{
    size_t n;
    struct recipient_row r = {
        .id = db_text(q, 0), .name = db_text(q, 1), .address = db_text(q, 2), .country = db_text(q, 3),
        .contact = db_text(q, 4), .secret_hash = db_bytes(q, 5, &n), .created_at = db_int(q, 6),
        .kind = db_text(q, 7),
    };
    if (n != SHA256_BYTES)
        return PHR_ENOTFOUND; /* a row without a usable secret names no client */
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct recipient_row *), &r);
}

int store_recipient_get(struct store *st, const char *id, int (*cb)(void *, const struct recipient_row *), void *arg)
{
    return st_rows(st, &get, DB_ARGS(DB_STR(id)), one_of, ST_CB(cb, arg), 1);
}

static int listed_of(void *arg, const struct db_row *q)
{
    struct recipient_row r = {
        .id = db_text(q, 0), .name = db_text(q, 1), .address = db_text(q, 2), .country = db_text(q, 3),
        .contact = db_text(q, 4), .created_at = db_int(q, 5), .kind = db_text(q, 6),
        .agreement_version = db_text(q, 7), .signed_on = db_int(q, 8), .certification = db_text(q, 9),
        .cert_expires = db_int(q, 10), .agreement_ended = (int)db_int(q, 11), .groups = db_text(q, 12),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct recipient_row *), &r);
}

int store_recipient_list(struct store *st, int (*cb)(void *, const struct recipient_row *), void *arg)
{
    return st_rows(st, &list, DB_NO_ARGS, listed_of, ST_CB(cb, arg), 0);
}

int store_group_insert(struct store *st, const char *code, const char *name, int64_t at)
{
    return st_exec(st, &group_insert, DB_ARGS(DB_STR(code), DB_STR(name), DB_INT(at)));
}

int store_group_member(struct store *st, const char *group, const char *recipient)
{
    int64_t one;
    return st_int(st, &group_is, DB_ARGS(DB_STR(group), DB_STR(recipient)), &one);
}

int store_group_change(struct store *st, const char *group, const char *recipient, const char *action, int64_t at)
{
    int join = strcmp(action, "join") == 0;
    int64_t n = 0;
    int err = st_int(st, &group_exists, DB_ARGS(DB_STR(group), DB_STR(recipient)), &n);
    if (err)
        return err;
    if (n != 2)
        return PHR_ENOTFOUND;
    err = store_group_member(st, group, recipient);
    if (err && err != PHR_ENOTFOUND)
        return err;
    if ((err == PHR_OK) == join)
        return PHR_ECONFLICT;
    err = st_exec(st, &group_change, DB_ARGS(DB_STR(group), DB_STR(recipient), DB_STR(action), DB_INT(at)));
    if (err)
        return err;
    if (join)
        return st_exec(st, &group_join, DB_ARGS(DB_STR(group), DB_STR(recipient), DB_INT(at)));
    return st_exec(st, &group_leave, DB_ARGS(DB_STR(group), DB_STR(recipient)));
}

static int basis_of(void *arg, const struct db_row *r)
{
    struct provision_basis_row b = {.purpose = db_text(r, 0), .purpose_version = (int)db_int(r, 1),
                                    .consent_seq = db_int(r, 2), .kinds = db_text(r, 3)};
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct provision_basis_row *), &b);
}

int store_provision_bases(struct store *st, const char *recipient, const char *person, const char *group, int64_t now,
                          int (*cb)(void *, const struct provision_basis_row *), void *arg)
{
    return st_rows(st, &bases, DB_ARGS(DB_STR(recipient), DB_STR(person), DB_INT(now), DB_STR(group)), basis_of,
                   ST_CB(cb, arg), 0);
}

int store_agreement_insert(struct store *st, const struct agreement_row *a)
{
    int err = st_exec(st, &agreement_insert,
                      DB_ARGS(DB_STR(a->recipient_id), DB_INT(a->signed_on), DB_STR(a->version),
                              DB_STR(a->certification), DB_INT_OR_NULL(a->cert_expires), DB_INT(a->ended),
                              DB_INT(a->recorded_at)));
    return err == PHR_ECONFLICT ? PHR_ENOTFOUND : err; /* the foreign key: no such recipient */
}

int store_provision_insert(struct store *st, const struct provision_row *p)
{
    return st_exec(st, &provision_insert,
                   DB_ARGS(DB_INT(p->at), DB_STR(p->recipient_id), DB_STR(p->person_id), DB_STR(p->purpose),
                           DB_INT(p->purpose_version), DB_INT(p->consent_seq), DB_STR(p->items),
                           DB_STR(p->request_id)));
}

static int provision_of(void *arg, const struct db_row *q)
{
    struct provision_row p = {
        .seq = db_int(q, 0), .at = db_int(q, 1), .recipient_id = db_text(q, 2), .person_id = db_text(q, 3),
        .purpose = db_text(q, 4), .purpose_version = (int)db_int(q, 5), .consent_seq = db_int(q, 6),
        .items = db_text(q, 7), .request_id = db_text(q, 8), .recipient_name = db_text(q, 9),
        .recipient_country = db_text(q, 10),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct provision_row *), &p);
}

int store_provision_list(struct store *st, const char *person, int (*cb)(void *, const struct provision_row *),
                         void *arg)
{
    return st_rows(st, &provision_list, DB_ARGS(DB_STR(person)), provision_of, ST_CB(cb, arg), 0);
}
