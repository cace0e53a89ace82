#include "db/db.h"

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
