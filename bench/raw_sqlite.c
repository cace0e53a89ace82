/* The storage limit for bench/ingest: raw SQLite inserts of sealed record
 * rows shaped like phr's, with phr's durability (WAL, synchronous=FULL)
 * and batching (ROWS_PER_COMMIT per transaction), and no HTTP, no audit,
 * no validation. phr's ingest rate is reported as a ratio to this, and
 * the bytes phr writes per create as a ratio to those written per row here.
 * Prints "rows/s bytes/row".
 *
 * usage: raw_sqlite DB ROWS BODY_BYTES ORIGINAL_BYTES ROWS_PER_COMMIT */
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <sodium.h>

#include "store/store.h"
#include "util/clock.h"
#include "util/ids.h"

/* Bytes this process has had written to storage (/proc/self/io). */
static long long written(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    long long n = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "write_bytes: %lld", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 6 || sodium_init() < 0) {
        fprintf(stderr, "usage: raw_sqlite DB ROWS BODY_BYTES ORIGINAL_BYTES ROWS_PER_COMMIT\n");
        return 2;
    }
    const char *path = argv[1];
    long rows = atol(argv[2]), body_len = atol(argv[3]), orig_len = atol(argv[4]), batch = atol(argv[5]);
    struct store *st;
    /* The same schema phr creates. */
    if (store_open(path, STORE_CREATE, &st) != 0)
        return 1;
    store_close(st);
    sqlite3 *db;
    sqlite3_stmt *ins;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;", NULL, NULL, NULL) ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO records(id, version, person_id, resource_type, code_system, code, category,"
                           " effective_start, effective_end, data_category, source, recorded_at, recorded_by, channel,"
                           " original_mac, alg, body, original, current, data_kind) VALUES(?,1,?,'Observation',"
                           "'http://loinc.org','85354-9','vital-signs',?,?,3,'self-measured',?,?,'fhir-api',?,1,?,?,1,"
                           "'blood-pressure')",
                           -1, &ins, NULL) != SQLITE_OK) {
        fprintf(stderr, "raw_sqlite: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    unsigned char *body = malloc((size_t)body_len), *orig = malloc((size_t)orig_len), mac[32];
    randombytes_buf(body, (size_t)body_len);
    randombytes_buf(orig, (size_t)orig_len);
    char person[ID_LEN + 1], id[ID_LEN + 1], by[64];
    id_uuid(person);
    snprintf(by, sizeof by, "person:%s", person);
    long long w0 = written();
    double t0 = clock_mono_ms();
    for (long i = 0; i < rows; i++) {
        if (i % batch == 0 && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return 1;
        /* Fresh sealed bytes per row would cost the same: sealing is
         * measured on phr's side, not here. */
        id_uuid7(id);
        randombytes_buf(mac, sizeof mac);
        int64_t t = clock_now_ms();
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, person, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, t);
        sqlite3_bind_int64(ins, 4, t + 999);
        sqlite3_bind_int64(ins, 5, t);
        sqlite3_bind_text(ins, 6, by, -1, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 7, mac, 32, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 8, body, (int)body_len, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 9, orig, (int)orig_len, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            return 1;
        sqlite3_reset(ins);
        if ((i + 1) % batch == 0 || i + 1 == rows)
            if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                return 1;
    }
    double ms = clock_mono_ms() - t0;
    printf("%.0f %.0f\n", (double)rows * 1000.0 / ms, (double)(written() - w0) / (double)rows);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    free(body);
    free(orig);
    return 0;
}
