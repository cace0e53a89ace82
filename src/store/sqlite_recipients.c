/* Recipients of third-party provision, their groups and client tokens, and
 * the provision records (R3.4, R3.7) of the SQLite backend.
 *
 * The basis for a provision is found in one statement: a purpose in force
 * that names a group the recipient belongs to now and the kind of data
 * asked for, granted by the person at a version that still covers it, not
 * suspended, and, for a recipient abroad, granted naming its country; and
 * an agreement with the recipient in force. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_internal.h"
#include "util/err.h"

enum {
    R_INSERT, R_GET, R_LIST, G_INSERT, G_IS, G_EXISTS, G_CHANGE, G_JOIN, G_LEAVE,
    T_INSERT, T_GET, P_BASIS, P_INSERT, P_LIST, A_INSERT,
    R_COUNT
};
_Static_assert(R_COUNT <= SQ_RECIPIENT_STMTS, "raise SQ_RECIPIENT_STMTS");

static const char *const sql[R_COUNT] = {
    [R_INSERT] = "INSERT INTO recipients(id, name, address, country, contact, secret_hash, created_at, kind)"
                 " VALUES(?,?,?,?,?,?,?,?)",
    [R_GET] = "SELECT id, name, address, country, contact, secret_hash, created_at, kind FROM recipients WHERE id = ?",
    [R_LIST] = "SELECT r.id, r.name, r.address, r.country, r.contact, r.created_at, r.kind, a.version, a.signed_on,"
               " a.certification, a.cert_expires, a.ended, (SELECT group_concat(group_code, ',') FROM"
               " (SELECT group_code FROM group_members WHERE recipient_id = r.id ORDER BY group_code))"
               " FROM recipients r LEFT JOIN agreements a ON a.seq ="
               " (SELECT max(seq) FROM agreements WHERE recipient_id = r.id) ORDER BY r.kind, r.name",
    [G_INSERT] = "INSERT INTO recipient_groups(code, name, created_at) VALUES(?,?,?)",
    [G_IS] = "SELECT 1 FROM group_members WHERE group_code = ? AND recipient_id = ?",
    [G_EXISTS] = "SELECT (SELECT count(*) FROM recipient_groups WHERE code = ?1)"
                 " + (SELECT count(*) FROM recipients WHERE id = ?2)",
    [G_CHANGE] = "INSERT INTO group_changes(group_code, recipient_id, action, at) VALUES(?,?,?,?)",
    [G_JOIN] = "INSERT INTO group_members(group_code, recipient_id, since) VALUES(?,?,?)",
    [G_LEAVE] = "DELETE FROM group_members WHERE group_code = ? AND recipient_id = ?",
    [T_INSERT] = "INSERT INTO client_tokens(token_hash, recipient_id, created_at, expires_at) VALUES(?,?,?,?)",
    [T_GET] = "SELECT recipient_id, expires_at FROM client_tokens WHERE token_hash = ?",
    /* Driven from the recipient's memberships (one or two groups), so
     * that the cost does not grow with the person's decisions or the
     * number of purposes: measured in bench/gate. */
    [P_BASIS] = "SELECT p.code, p.version, s.seq, v.kinds FROM group_members m"
                " CROSS JOIN purposes v ON v.recipient_group = m.group_code"
                " CROSS JOIN purpose_current p ON p.code = v.code AND p.version = v.version AND p.retired = 0"
                " CROSS JOIN consent_state s ON s.person_id = ?2 AND s.purpose = p.code AND s.decision = 'grant'"
                "   AND s.purpose_version >= p.covered_from"
                " CROSS JOIN consents c ON c.seq = s.seq"
                " CROSS JOIN recipients r ON r.id = m.recipient_id AND r.kind = 'recipient'"
                " WHERE m.recipient_id = ?1 AND (?4 IS NULL OR m.group_code = ?4)"
                "   AND (r.country = 'JP' OR instr(',' || c.countries || ',', ',' || r.country || ',') > 0)"
                "   AND NOT EXISTS (SELECT 1 FROM suspension_state x WHERE x.person_id = ?2"
                "     AND x.purpose IN ('*', p.code))"
                "   AND EXISTS (SELECT 1 FROM agreements g WHERE g.seq = (SELECT max(seq) FROM agreements"
                "     WHERE recipient_id = ?1) AND g.ended = 0 AND (g.cert_expires IS NULL OR g.cert_expires > ?3))"
                " ORDER BY p.code",
    [A_INSERT] = "INSERT INTO agreements(recipient_id, signed_on, version, certification, cert_expires, ended,"
                 " recorded_at) VALUES(?,?,?,?,?,?,?)",
    [P_INSERT] = "INSERT INTO provisions(at, recipient_id, person_id, purpose, purpose_version, consent_seq, items,"
                 " request_id) VALUES(?,?,?,?,?,?,?,?)",
    [P_LIST] = "SELECT p.seq, p.at, p.recipient_id, p.person_id, p.purpose, p.purpose_version, p.consent_seq,"
               " p.items, p.request_id, r.name, r.country FROM provisions p"
               " LEFT JOIN recipients r ON r.id = p.recipient_id WHERE p.person_id = ? ORDER BY p.seq",
};

static sqlite3_stmt *prep(struct sqlite_store *s, int id)
{
    return sq_prep(s, &s->recipient_stmt[id], sql[id]);
}

int sqr_recipient_insert(struct store *st, const struct recipient_row *r)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, R_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, r->id);
    sq_bind_text(q, 2, r->name);
    sq_bind_text(q, 3, r->address);
    sq_bind_text(q, 4, r->country);
    sq_bind_text(q, 5, r->contact);
    sqlite3_bind_blob(q, 6, r->secret_hash, SHA256_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, r->created_at);
    sq_bind_text(q, 8, r->kind ? r->kind : "recipient");
    return sq_exec(s, q, "recipient_insert");
}

int sqr_recipient_get(struct store *st, const char *id, int (*cb)(void *, const struct recipient_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, R_GET);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    int rc = sqlite3_step(q), err;
    if (rc == SQLITE_ROW && sqlite3_column_bytes(q, 5) == SHA256_BYTES) {
        struct recipient_row r = {
            .id = sq_text(q, 0), .name = sq_text(q, 1), .address = sq_text(q, 2), .country = sq_text(q, 3),
            .contact = sq_text(q, 4), .secret_hash = sqlite3_column_blob(q, 5),
            .created_at = sqlite3_column_int64(q, 6), .kind = sq_text(q, 7),
        };
        err = cb(arg, &r);
    } else {
        err = rc == SQLITE_DONE || rc == SQLITE_ROW ? PHR_ENOTFOUND : sq_fail(s, rc, "recipient_get");
    }
    sqlite3_reset(q);
    return err;
}

int sqr_recipient_list(struct store *st, int (*cb)(void *, const struct recipient_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, R_LIST);
    if (!q)
        return PHR_EIO;
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct recipient_row r = {
            .id = sq_text(q, 0), .name = sq_text(q, 1), .address = sq_text(q, 2), .country = sq_text(q, 3),
            .contact = sq_text(q, 4), .created_at = sqlite3_column_int64(q, 5), .kind = sq_text(q, 6),
            .agreement_version = sq_text(q, 7), .signed_on = sqlite3_column_int64(q, 8),
            .certification = sq_text(q, 9), .cert_expires = sqlite3_column_int64(q, 10),
            .agreement_ended = sqlite3_column_int(q, 11), .groups = sq_text(q, 12),
        };
        if ((err = cb(arg, &r)) != PHR_OK)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "recipient_list");
    sqlite3_reset(q);
    return err;
}

int sqr_group_insert(struct store *st, const char *code, const char *name, int64_t at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, G_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, code);
    sq_bind_text(q, 2, name);
    sqlite3_bind_int64(q, 3, at);
    return sq_exec(s, q, "group_insert");
}

/* Steps a one-row, one-integer query. */
static int one_int(struct sqlite_store *s, sqlite3_stmt *q, const char *what, int *out)
{
    int rc = sqlite3_step(q), err = PHR_OK;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(q, 0);
    else if (rc == SQLITE_DONE)
        *out = 0;
    else
        err = sq_fail(s, rc, what);
    sqlite3_reset(q);
    return err;
}

int sqr_group_change(struct store *st, const char *group, const char *recipient, const char *action, int64_t at)
{
    struct sqlite_store *s = S(st);
    int join = strcmp(action, "join") == 0, n = 0, member = 0, err;
    sqlite3_stmt *q = prep(s, G_EXISTS);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, group);
    sq_bind_text(q, 2, recipient);
    if ((err = one_int(s, q, "group_exists", &n)) != PHR_OK)
        return err;
    if (n != 2)
        return PHR_ENOTFOUND;
    if (!(q = prep(s, G_IS)))
        return PHR_EIO;
    sq_bind_text(q, 1, group);
    sq_bind_text(q, 2, recipient);
    if ((err = one_int(s, q, "group_is", &member)) != PHR_OK)
        return err;
    if (member == join)
        return PHR_ECONFLICT;
    if (!(q = prep(s, G_CHANGE)))
        return PHR_EIO;
    sq_bind_text(q, 1, group);
    sq_bind_text(q, 2, recipient);
    sq_bind_text(q, 3, action);
    sqlite3_bind_int64(q, 4, at);
    if ((err = sq_exec(s, q, "group_change")) != PHR_OK)
        return err;
    if (!(q = prep(s, join ? G_JOIN : G_LEAVE)))
        return PHR_EIO;
    sq_bind_text(q, 1, group);
    sq_bind_text(q, 2, recipient);
    if (join)
        sqlite3_bind_int64(q, 3, at);
    return sq_exec(s, q, "group_members");
}

int sqr_group_member(struct store *st, const char *group, const char *recipient)
{
    struct sqlite_store *s = S(st);
    int member = 0, err;
    sqlite3_stmt *q = prep(s, G_IS);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, group);
    sq_bind_text(q, 2, recipient);
    if ((err = one_int(s, q, "group_is", &member)) != PHR_OK)
        return err;
    return member ? PHR_OK : PHR_ENOTFOUND;
}

int sqr_client_token_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *recipient,
                            int64_t created_at, int64_t expires_at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_INSERT);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_blob(q, 1, hash, SHA256_BYTES, SQLITE_STATIC);
    sq_bind_text(q, 2, recipient);
    sqlite3_bind_int64(q, 3, created_at);
    sqlite3_bind_int64(q, 4, expires_at);
    return sq_exec(s, q, "client_token_insert");
}

int sqr_client_token_get(struct store *st, const unsigned char hash[SHA256_BYTES], char *recipient,
                         int64_t *expires_at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_GET);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_blob(q, 1, hash, SHA256_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(q), err = PHR_OK;
    if (rc == SQLITE_ROW) {
        snprintf(recipient, 37, "%s", sq_text(q, 0));
        *expires_at = sqlite3_column_int64(q, 1);
    } else {
        err = rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "client_token_get");
    }
    sqlite3_reset(q);
    return err;
}

int sqr_provision_bases(struct store *st, const char *recipient, const char *person, const char *group, int64_t now,
                        int (*cb)(void *, const struct provision_basis_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, P_BASIS);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, recipient);
    sq_bind_text(q, 2, person);
    sqlite3_bind_int64(q, 3, now);
    sq_bind_text(q, 4, group);
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct provision_basis_row b = {.purpose = sq_text(q, 0), .purpose_version = sqlite3_column_int(q, 1),
                                        .consent_seq = sqlite3_column_int64(q, 2), .kinds = sq_text(q, 3)};
        if ((err = cb(arg, &b)) != PHR_OK)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "provision_bases");
    sqlite3_reset(q);
    return err;
}

int sqr_agreement_insert(struct store *st, const struct agreement_row *a)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, A_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, a->recipient_id);
    sqlite3_bind_int64(q, 2, a->signed_on);
    sq_bind_text(q, 3, a->version);
    sq_bind_text(q, 4, a->certification);
    if (a->cert_expires)
        sqlite3_bind_int64(q, 5, a->cert_expires);
    else
        sqlite3_bind_null(q, 5);
    sqlite3_bind_int(q, 6, a->ended);
    sqlite3_bind_int64(q, 7, a->recorded_at);
    int err = sq_exec(s, q, "agreement_insert");
    return err == PHR_ECONFLICT ? PHR_ENOTFOUND : err; /* the foreign key: no such recipient */
}

int sqr_provision_insert(struct store *st, const struct provision_row *p)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, P_INSERT);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, p->at);
    sq_bind_text(q, 2, p->recipient_id);
    sq_bind_text(q, 3, p->person_id);
    sq_bind_text(q, 4, p->purpose);
    sqlite3_bind_int(q, 5, p->purpose_version);
    sqlite3_bind_int64(q, 6, p->consent_seq);
    sq_bind_text(q, 7, p->items);
    sq_bind_text(q, 8, p->request_id);
    return sq_exec(s, q, "provision_insert");
}

int sqr_provision_list(struct store *st, const char *person, int (*cb)(void *, const struct provision_row *),
                       void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, P_LIST);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct provision_row p = {
            .seq = sqlite3_column_int64(q, 0), .at = sqlite3_column_int64(q, 1),
            .recipient_id = sq_text(q, 2), .person_id = sq_text(q, 3), .purpose = sq_text(q, 4),
            .purpose_version = sqlite3_column_int(q, 5), .consent_seq = sqlite3_column_int64(q, 6),
            .items = sq_text(q, 7), .request_id = sq_text(q, 8), .recipient_name = sq_text(q, 9),
            .recipient_country = sq_text(q, 10),
        };
        if ((err = cb(arg, &p)) != PHR_OK)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "provision_list");
    sqlite3_reset(q);
    return err;
}
