/* Retention and termination, written once over the driver. */
#include "store/retention.h"

#include <string.h>

#include "store/internal.h"

#define NOTICE_COLS "id, person_id, kind, at, coalesce(erase_after, 0), coalesce(resolved_at, 0)"

static struct db_stmt notice_insert = DB_STMT(
    "notice_insert", "INSERT INTO notices(person_id, kind, at, erase_after) VALUES(?1, ?2, ?3, ?4)");
static struct db_stmt notices_of_person = DB_STMT(
    "notices_open", "SELECT " NOTICE_COLS " FROM notices WHERE person_id = ?1 AND resolved_at IS NULL ORDER BY id");
static struct db_stmt notices_of_kind = DB_STMT(
    "notices_open_kind", "SELECT " NOTICE_COLS " FROM notices WHERE kind = ?1 AND resolved_at IS NULL ORDER BY id");
static struct db_stmt notices_resolve = DB_STMT(
    "notices_resolve", "UPDATE notices SET resolved_at = ?3 WHERE person_id = ?1 AND kind = ?2"
                       " AND resolved_at IS NULL");
static struct db_stmt termination_insert = DB_STMT(
    "termination_insert", "INSERT INTO terminations(announced_at, announced_by, export_until, erase_after)"
                          " VALUES(?1, ?2, ?3, ?4)");
static struct db_stmt termination_get = DB_STMT(
    "termination_get", "SELECT announced_at, announced_by, export_until, erase_after FROM terminations"
                       " ORDER BY id DESC LIMIT 1");
static struct db_stmt run_insert = DB_STMT(
    "retention_run_insert", "INSERT INTO retention_runs(at, as_of, summary) VALUES(?1, ?2, ?3)");
static struct db_stmt run_last = DB_STMT(
    "retention_run_last", "SELECT at FROM retention_runs ORDER BY id DESC LIMIT 1");

/* What pruning removes, each counted (dry) or deleted: ?1 now, ?2
 * provisions before, ?3 throttle rows before, ?4 rate windows before. */
#define W_PROVISIONS " FROM provisions WHERE at < ?2"
#define W_SESSIONS " FROM sessions WHERE expires_at < ?1"
#define W_STAFF_SESSIONS " FROM staff_sessions WHERE expires_at < ?1"
#define W_TOKENS " FROM client_tokens WHERE expires_at < ?1"
#define W_ASSERTIONS " FROM client_assertions WHERE expires_at < ?1"
#define W_CODES " FROM oauth_codes WHERE expires_at < ?1"
#define W_REFRESH " FROM refresh_tokens WHERE expires_at < ?1"
#define W_THROTTLE " FROM login_throttle WHERE last_failure_at < ?3 AND locked_until < ?1"
#define W_RATES " FROM rate_counts WHERE \"window\" < ?4"
#define PRUNED(name, where) {DB_STMT("count_" name, "SELECT count(*)" where), DB_STMT("prune_" name, "DELETE" where)}

static struct db_stmt pruned[9][2] = {
    PRUNED("provisions", W_PROVISIONS), PRUNED("sessions", W_SESSIONS), PRUNED("staff_sessions", W_STAFF_SESSIONS),
    PRUNED("client_tokens", W_TOKENS),  PRUNED("client_assertions", W_ASSERTIONS),
    PRUNED("throttles", W_THROTTLE),    PRUNED("rates", W_RATES),
    PRUNED("oauth_codes", W_CODES),     PRUNED("refresh_tokens", W_REFRESH),
};

int store_notice_insert(struct store *st, const struct notice_row *n)
{
    return st_exec(st, &notice_insert,
                   DB_ARGS(DB_STR(n->person_id), DB_STR(n->kind), DB_INT(n->at), DB_INT_OR_NULL(n->erase_after)));
}

static int notice_of(void *arg, const struct db_row *q)
{
    struct notice_row n = {
        .id = db_int(q, 0), .person_id = db_text(q, 1), .kind = db_text(q, 2), .at = db_int(q, 3),
        .erase_after = db_int(q, 4), .resolved_at = db_int(q, 5),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct notice_row *), &n);
}

int store_notices_open(struct store *st, const char *person, const char *kind,
                       int (*cb)(void *, const struct notice_row *), void *arg)
{
    return st_rows(st, person ? &notices_of_person : &notices_of_kind, DB_ARGS(DB_STR(person ? person : kind)),
                   notice_of, ST_CB(cb, arg), 0);
}

int store_notices_resolve(struct store *st, const char *person, const char *kind, int64_t at)
{
    return st_exec(st, &notices_resolve, DB_ARGS(DB_STR(person), DB_STR(kind), DB_INT(at)));
}

int store_retention_prune(struct store *st, const struct prune_limits *l, int dry, struct prune_counts *out)
{
    int64_t *slot[] = {&out->provisions, &out->sessions, &out->staff_sessions, &out->client_tokens,
                       &out->client_assertions, &out->throttles, &out->rates, &out->oauth_codes,
                       &out->refresh_tokens};
    _Static_assert(sizeof slot / sizeof slot[0] == sizeof pruned / sizeof pruned[0], "a count for every prune");
    memset(out, 0, sizeof *out);
    struct db_val limits[] = {DB_INT(l->now), DB_INT(l->provisions_before), DB_INT(l->throttle_before),
                              DB_INT(l->rates_before)};
    for (size_t i = 0; i < sizeof slot / sizeof slot[0]; i++) {
        struct db_stmt *q = &pruned[i][dry ? 0 : 1];
        int err = dry ? st_int(st, q, limits, 4, slot[i]) : st_changed(st, q, limits, 4, slot[i]);
        if (err)
            return err;
    }
    return PHR_OK;
}

int store_termination_insert(struct store *st, const struct termination_row *t)
{
    return st_exec(st, &termination_insert,
                   DB_ARGS(DB_INT(t->announced_at), DB_STR(t->announced_by), DB_INT(t->export_until),
                           DB_INT(t->erase_after)));
}

static int termination_of(void *arg, const struct db_row *r)
{
    struct termination_row *t = arg;
    t->announced_at = db_int(r, 0);
    t->export_until = db_int(r, 2);
    t->erase_after = db_int(r, 3);
    return 0;
}

int store_termination_get(struct store *st, struct termination_row *out)
{
    return st_rows(st, &termination_get, DB_NO_ARGS, termination_of, out, 1);
}

int store_retention_run_insert(struct store *st, int64_t at, int64_t as_of, const char *summary)
{
    return st_exec(st, &run_insert, DB_ARGS(DB_INT(at), DB_INT(as_of), DB_STR(summary)));
}

int store_retention_run_last(struct store *st, int64_t *at)
{
    return st_int(st, &run_last, DB_NO_ARGS, at);
}
