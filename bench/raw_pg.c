/* The storage limit on PostgreSQL: raw libpq inserts of sealed record rows
 * shaped like phr's, with phr's durability (synchronous_commit on, the
 * server's default) and batching (ROWS_PER_COMMIT per transaction), one
 * connection, one statement per row, and no HTTP, no audit, no validation.
 * phr's creates on PostgreSQL are reported as a ratio to this.
 *
 * usage: raw_pg URL ROWS BODY_BYTES ORIGINAL_BYTES ROWS_PER_COMMIT
 * (URL: an existing database; phr's schema is made in it) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "store/store.h"
#include "util/clock.h"
#include "util/ids.h"

static int ok(PGconn *pc, PGresult *r)
{
    int good = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!good)
        fprintf(stderr, "raw_pg: %s", PQerrorMessage(pc));
    PQclear(r);
    return good;
}

int main(int argc, char **argv)
{
    if (argc != 6 || sodium_init() < 0) {
        fprintf(stderr, "usage: raw_pg URL ROWS BODY_BYTES ORIGINAL_BYTES ROWS_PER_COMMIT\n");
        return 2;
    }
    long rows = atol(argv[2]), body_len = atol(argv[3]), orig_len = atol(argv[4]), batch = atol(argv[5]);
    struct store *st;
    /* The same schema phr creates. */
    if (store_open(argv[1], STORE_CREATE, &st) != 0)
        return 1;
    store_close(st);
    PGconn *pc = PQconnectdb(argv[1]);
    if (PQstatus(pc) != CONNECTION_OK) {
        fprintf(stderr, "raw_pg: %s", PQerrorMessage(pc));
        return 1;
    }
    /* A person for the rows' foreign key, as phr has one. */
    char person[ID_LEN + 1], id[ID_LEN + 1], by[64];
    id_uuid(person);
    snprintf(by, sizeof by, "person:%s", person);
    const char *pv[] = {person};
    if (!ok(pc, PQexecParams(pc, "INSERT INTO persons(id, login, pw_hash, status, created_at) VALUES($1, $1, '',"
                                 " 'active', 0)", 1, NULL, pv, NULL, NULL, 0)))
        return 1;
    unsigned char *body = malloc((size_t)body_len), *orig = malloc((size_t)orig_len), mac[32];
    randombytes_buf(body, (size_t)body_len);
    randombytes_buf(orig, (size_t)orig_len);
    static const char sql[] =
        "INSERT INTO records(id, version, person_id, resource_type, code_system, code, category, effective_start,"
        " effective_end, data_category, source, recorded_at, recorded_by, channel, original_mac, alg, body, original,"
        " current, data_kind) VALUES($1, 1, $2, 'Observation', 'http://loinc.org', '85354-9', 'vital-signs', $3, $4,"
        " 3, 'self-measured', $5, $6, 'fhir-api', $7, 1, $8, $9, 1, 'blood-pressure')";
    const Oid types[] = {25, 25, 20, 20, 20, 25, 17, 17, 17};
    const int formats[] = {0, 0, 0, 0, 0, 0, 1, 1, 1};
    double t0 = clock_mono_ms();
    for (long i = 0; i < rows; i++) {
        if (i % batch == 0 && !ok(pc, PQexec(pc, "BEGIN")))
            return 1;
        id_uuid7(id);
        randombytes_buf(mac, sizeof mac);
        char t[24], t2[24];
        int64_t now = clock_now_ms();
        snprintf(t, sizeof t, "%lld", (long long)now);
        snprintf(t2, sizeof t2, "%lld", (long long)now + 999);
        const char *v[] = {id, person, t, t2, t, by, (const char *)mac, (const char *)body, (const char *)orig};
        const int len[] = {0, 0, 0, 0, 0, 0, 32, (int)body_len, (int)orig_len};
        if (!ok(pc, PQexecParams(pc, sql, 9, types, v, len, formats, 0)))
            return 1;
        if (((i + 1) % batch == 0 || i + 1 == rows) && !ok(pc, PQexec(pc, "COMMIT")))
            return 1;
    }
    double ms = clock_mono_ms() - t0;
    printf("%.0f\n", (double)rows * 1000.0 / ms);
    PQfinish(pc);
    free(body);
    free(orig);
    return 0;
}
