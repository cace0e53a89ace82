/* The handling history, checkpoints and incidents, written once over the
 * driver. */
#include "store/audit.h"

#include <string.h>

#include "store/internal.h"

#define AUDIT_COLS \
    "seq, at, actor, role, action, subject, records, reason, client, result, request_id, prev_hash, hash"
#define CHECKPOINT_COLS "id, at, audit_seq, head_hash, key_id, signature"

static struct db_stmt insert = DB_STMT_DEFER(
    "audit_insert", "INSERT INTO audit(" AUDIT_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
static struct db_stmt last = DB_STMT("audit_last", "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
static struct db_stmt scan = DB_STMT("audit_scan", "SELECT " AUDIT_COLS " FROM audit WHERE seq >= ?1 ORDER BY seq");
static struct db_stmt query = DB_STMT(
    "audit_query", "SELECT " AUDIT_COLS " FROM audit WHERE at >= ?1 AND at <= ?2"
                   " AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR subject = ?4)"
                   " AND (?5 IS NULL OR action = ?5) AND (?6 IS NULL OR result = ?6)"
                   " AND (?7 IS NULL OR client = ?7) AND (?8 = 0 OR at > ?9 OR (at = ?9 AND seq > ?10))"
                   " ORDER BY at, seq");
static struct db_stmt by_others = DB_STMT(
    "audit_by_others", "SELECT " AUDIT_COLS " FROM audit WHERE subject = ?1 AND actor <> 'person:' || subject"
                       " ORDER BY seq DESC LIMIT ?2");
static struct db_stmt about = DB_STMT(
    "audit_about", "SELECT " AUDIT_COLS " FROM audit WHERE subject = ?1 AND actor <> 'person:' || subject"
                   " AND seq > ?2 ORDER BY seq LIMIT ?3");
static struct db_stmt incident_insert = DB_STMT(
    "incident_insert", "INSERT INTO incidents(refers_to, recorded_at, recorded_by, found_at, what, told)"
                       " VALUES(?1, ?2, ?3, ?4, ?5, ?6) RETURNING id");
static struct db_stmt incident_list = DB_STMT(
    "incident_list", "SELECT id, refers_to, recorded_at, recorded_by, found_at, what, told FROM incidents ORDER BY id");
static struct db_stmt checkpoint_insert = DB_STMT(
    "checkpoint_insert", "INSERT INTO audit_checkpoints(at, audit_seq, head_hash, key_id, signature)"
                         " VALUES(?1, ?2, ?3, ?4, ?5)");
static struct db_stmt checkpoint_scan = DB_STMT(
    "checkpoint_scan", "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints ORDER BY id");
static struct db_stmt checkpoint_last = DB_STMT(
    "checkpoint_last", "SELECT " CHECKPOINT_COLS " FROM audit_checkpoints ORDER BY id DESC LIMIT 1");

int store_audit_insert(struct store *st, const struct audit_row *a)
{
    struct store_memo *m = st->memo;
    int err = st_exec(st, &insert,
                      DB_ARGS(DB_INT(a->seq), DB_INT(a->at), DB_STR(a->actor), DB_STR(a->role), DB_STR(a->action),
                              DB_STR(a->subject), DB_STR(a->records), DB_STR(a->reason), DB_STR(a->client),
                              DB_STR(a->result), DB_STR(a->request_id), DB_BLOB(a->prev_hash, SHA256_BYTES),
                              DB_BLOB(a->hash, SHA256_BYTES)));
    /* An insert the engine defers and that fails later fails its job,
     * whose rollback forgets this. */
    m->head_known = !err && m->writing;
    if (m->head_known) {
        m->head_seq = a->seq;
        memcpy(m->head_hash, a->hash, SHA256_BYTES);
    }
    return err;
}

struct head {
    int64_t *seq;
    unsigned char *hash;
};

static int head_of(void *arg, const struct db_row *r)
{
    struct head *h = arg;
    size_t n;
    const void *hash = db_bytes(r, 1, &n);
    *h->seq = db_int(r, 0);
    if (n != SHA256_BYTES)
        return PHR_EIO;
    memcpy(h->hash, hash, SHA256_BYTES);
    return 0;
}

int store_audit_last(struct store *st, int64_t *seq, unsigned char hash[SHA256_BYTES])
{
    struct store_memo *m = st->memo;
    if (m->head_known) {
        *seq = m->head_seq;
        memcpy(hash, m->head_hash, SHA256_BYTES);
        return m->head_seq ? PHR_OK : PHR_ENOTFOUND;
    }
    struct head h = {seq, hash};
    *seq = 0;
    int err = st_rows(st, &last, DB_NO_ARGS, head_of, &h, 1);
    if ((err == PHR_OK || err == PHR_ENOTFOUND) && m->writing) {
        m->head_known = 1;
        m->head_seq = err ? 0 : *seq;
        if (err)
            memset(m->head_hash, 0, SHA256_BYTES);
        else
            memcpy(m->head_hash, hash, SHA256_BYTES);
    }
    return err;
}

/* A hash of the wrong length is handed on as NULL: verification reports
 * it instead of the store hiding it. */
static const void *hash_or_null(const struct db_row *r, int col, size_t want)
{
    size_t n;
    const void *p = db_bytes(r, col, &n);
    return n == want ? p : NULL;
}

static int audit_of(void *arg, const struct db_row *q)
{
    struct audit_row a = {
        .seq = db_int(q, 0),
        .at = db_int(q, 1),
        .actor = db_text(q, 2),
        .role = db_text(q, 3),
        .action = db_text(q, 4),
        .subject = db_text(q, 5),
        .records = db_text(q, 6),
        .reason = db_text(q, 7),
        .client = db_text(q, 8),
        .result = db_text(q, 9),
        .request_id = db_text(q, 10),
        .prev_hash = hash_or_null(q, 11, SHA256_BYTES),
        .hash = hash_or_null(q, 12, SHA256_BYTES),
    };
    return ST_CALL((struct st_cb *)arg, audit_cb, &a);
}

int store_audit_scan(struct store *st, int64_t from_seq, audit_cb cb, void *arg)
{
    return st_rows(st, &scan, DB_ARGS(DB_INT(from_seq)), audit_of, ST_CB(cb, arg), 0);
}

int store_audit_query(struct store *st, const struct audit_filter *f, audit_cb cb, void *arg)
{
    return st_rows(st, &query,
                   DB_ARGS(DB_INT(f->from), DB_INT(f->to), DB_STR(f->actor), DB_STR(f->subject), DB_STR(f->action),
                           DB_STR(f->result), DB_STR(f->client), DB_INT(f->has_after), DB_INT(f->after_at),
                           DB_INT(f->after_seq)),
                   audit_of, ST_CB(cb, arg), 0);
}

int store_audit_by_others(struct store *st, const char *person, int limit, audit_cb cb, void *arg)
{
    return st_rows(st, &by_others, DB_ARGS(DB_STR(person), DB_INT(limit)), audit_of, ST_CB(cb, arg), 0);
}

int store_audit_about(struct store *st, const char *person, int64_t after_seq, int limit, audit_cb cb, void *arg)
{
    return st_rows(st, &about, DB_ARGS(DB_STR(person), DB_INT(after_seq), DB_INT(limit)), audit_of, ST_CB(cb, arg),
                   0);
}

int store_checkpoint_insert(struct store *st, const struct checkpoint_row *c)
{
    return st_exec(st, &checkpoint_insert,
                   DB_ARGS(DB_INT(c->at), DB_INT(c->audit_seq), DB_BLOB(c->head_hash, SHA256_BYTES),
                           DB_STR(c->key_id), DB_BLOB(c->signature, 64)));
}

static int checkpoint_of(void *arg, const struct db_row *q)
{
    struct checkpoint_row c = {
        .id = db_int(q, 0),
        .at = db_int(q, 1),
        .audit_seq = db_int(q, 2),
        .head_hash = hash_or_null(q, 3, SHA256_BYTES),
        .key_id = db_text(q, 4),
        .signature = hash_or_null(q, 5, 64),
    };
    return ST_CALL((struct st_cb *)arg, checkpoint_cb, &c);
}

int store_checkpoint_scan(struct store *st, int last_only, checkpoint_cb cb, void *arg)
{
    return st_rows(st, last_only ? &checkpoint_last : &checkpoint_scan, DB_NO_ARGS, checkpoint_of, ST_CB(cb, arg),
                   0);
}

int store_incident_insert(struct store *st, const struct incident_row *r, int64_t *id)
{
    int err = st_int(st, &incident_insert,
                     DB_ARGS(DB_INT_OR_NULL(r->refers_to), DB_INT(r->recorded_at), DB_STR(r->recorded_by),
                             DB_INT_OR_NULL(r->found_at), DB_STR(r->what), DB_STR(r->told)),
                     id);
    return err == PHR_ECONFLICT ? PHR_ENOTFOUND : err; /* the foreign key: no such incident */
}

static int incident_of(void *arg, const struct db_row *q)
{
    struct incident_row r = {
        .id = db_int(q, 0), .refers_to = db_int(q, 1), .recorded_at = db_int(q, 2), .recorded_by = db_text(q, 3),
        .found_at = db_int(q, 4), .what = db_text(q, 5), .told = db_text(q, 6),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct incident_row *), &r);
}

int store_incident_list(struct store *st, int (*cb)(void *, const struct incident_row *), void *arg)
{
    return st_rows(st, &incident_list, DB_NO_ARGS, incident_of, ST_CB(cb, arg), 0);
}
