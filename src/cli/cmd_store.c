/* phr store copy --from STORE --to STORE: an operator who outgrows one
 * machine moves everything — records, the key store, consents, provisions,
 * the handling history, documents — from SQLite to PostgreSQL (or back),
 * with a progress bar; the copy verifies as the original does. The keys
 * (master.key, audit.key) stay where they are: both stores use them. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "store/copy.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#define STORE_COPY_OPTS (BIT(OPT_COPY_FROM) | BIT(OPT_COPY_TO) | BIT(OPT_LOG_LEVEL))

struct shown {
    struct buf from, to;
    const char *table;
};

static void progress(void *arg, const char *table, int64_t done, int64_t total)
{
    struct shown *s = arg;
    if (s->table && strcmp(s->table, table))
        fputc('\n', stderr);
    s->table = table;
    cli_progress(done, total, table);
}

int cmd_store(int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "";
    if (strcmp(sub, "copy")) {
        fprintf(stderr, "usage: phr store copy --from STORE --to STORE\n");
        return 2;
    }
    struct cli c;
    int started;
    if (cli_start(argc - 1, argv + 1, "store copy",
                  "Copies every table of one store into an empty other, in one transaction from one snapshot:\n"
                  "from SQLite (a phr.db path) to PostgreSQL (a postgres:// URL; the database must exist,\n"
                  "its schema is made) or back. A target that holds data is refused. Stop the services\n"
                  "first; then serve with --store set to the copy and the same keys, and check it with\n"
                  "'phr audit verify --store … --records'.",
                  STORE_COPY_OPTS, &c, &started))
        return started;
    if (!c.val[OPT_COPY_FROM] || !c.val[OPT_COPY_TO]) {
        fprintf(stderr, "usage: phr store copy --from STORE --to STORE\n");
        return 2;
    }
    struct shown s = {.table = NULL};
    buf_init(&s.from);
    buf_init(&s.to);
    store_location_shown(c.val[OPT_COPY_FROM], &s.from);
    store_location_shown(c.val[OPT_COPY_TO], &s.to);
    struct store *from = NULL, *to = NULL;
    int rc = 1;
    int err = store_open(c.val[OPT_COPY_FROM], 0, &from);
    if (err) {
        fprintf(stderr, "phr store copy: cannot open %s: %s\n", buf_cstr(&s.from),
                err == PHR_ENOTFOUND ? "there is no store there" : phr_strerror(err));
        goto out;
    }
    if ((err = store_open(c.val[OPT_COPY_TO], STORE_CREATE, &to)) != PHR_OK) {
        fprintf(stderr, "phr store copy: cannot open %s: %s\n", buf_cstr(&s.to), phr_strerror(err));
        goto out;
    }
    int64_t rows = 0;
    err = store_copy(from, to, progress, &s, &rows);
    if (s.table)
        fputc('\n', stderr);
    if (err == PHR_EEXIST) {
        fprintf(stderr, "phr store copy: %s holds data already; copy into an empty store\n", buf_cstr(&s.to));
        goto out;
    }
    if (err) {
        fprintf(stderr, "phr store copy: the copy failed (%s); nothing was written to %s\n", phr_strerror(err),
                buf_cstr(&s.to));
        goto out;
    }
    printf("copied %lld rows from %s (%s) to %s (%s)\n", (long long)rows, buf_cstr(&s.from), store_engine(from),
           buf_cstr(&s.to), store_engine(to));
    rc = 0;
out:
    store_close(from);
    store_close(to);
    buf_free(&s.from);
    buf_free(&s.to);
    return rc;
}
