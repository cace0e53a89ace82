#include "db/db.h"

#include <string.h>

#include "db/engines.h"
#include "util/err.h"

/* Slots are handed out once per statement for the life of the process; 0
 * means "not yet". */
static unsigned next_slot;

unsigned db_stmt_slot(struct db_stmt *q)
{
    unsigned s = __atomic_load_n(&q->slot, __ATOMIC_ACQUIRE);
    if (s)
        return s;
    unsigned mine = __atomic_add_fetch(&next_slot, 1, __ATOMIC_RELAXED);
    unsigned none = 0;
    /* Another thread may have given it one meanwhile: theirs stands. */
    if (!__atomic_compare_exchange_n(&q->slot, &none, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return none;
    return mine;
}

/* The engines by the location's form; a plain path is SQLite's. */
static const struct {
    const char *prefix;
    int (*open)(const char *location, int flags, struct store **out);
} engines[] = {
    {"postgres://", db_pg_open},
    {"postgresql://", db_pg_open},
    {"sqlite:", db_sqlite_open},
    {"fault:", db_fault_open},
};

int db_open(const char *location, int flags, struct store **out)
{
    *out = NULL;
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) {
        size_t n = strlen(engines[i].prefix);
        if (!strncmp(location, engines[i].prefix, n))
            return engines[i].open(engines[i].open == db_pg_open ? location : location + n, flags, out);
    }
    if (strstr(location, "://"))
        return PHR_EINVAL;
    return db_sqlite_open(location, flags, out);
}
