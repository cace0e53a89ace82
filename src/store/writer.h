/* The writer: one thread that owns the only write connection and commits
 * the jobs handed to it in batches (group commit).
 *
 * Requests do their CPU work (parsing, validation, sealing) on their own
 * threads and hand the writer a job holding only store operations. While one
 * batch's COMMIT waits for the disk, the next batch gathers; a batch of N
 * jobs costs one fsync, so durability does not cost throughput.
 *
 * Each job runs inside its own savepoint: a job that fails (returns non-zero)
 * is rolled back alone and the rest of its batch still commits. `done` is
 * called on the writer thread only after the batch is durably committed (or
 * has failed), so a caller that answers from `done` never acknowledges what
 * is not on disk. */
#ifndef PHR_WRITER_H
#define PHR_WRITER_H

#include <stdint.h>

struct store;

struct job {
    /* Runs inside the batch transaction; returns 0 to keep its changes. */
    int (*run)(struct job *j, struct store *st);
    /* Called once, after the commit; j->rc says how it went. Must not block. */
    void (*done)(struct job *j);
    /* Optional: after a successful commit, before done, outside any
     * transaction, on the writer's connection (housekeeping that a
     * transaction forbids, such as a checkpoint). Its result goes to rc. */
    int (*after)(struct job *j, struct store *st);
    int rc;
    /* Private to the writer. */
    struct job *next;
    struct writer *owner;
    int finished;
};

struct writer_stats {
    uint64_t batches, jobs, failed_commits;
};

struct writer;

int writer_start(const char *location, unsigned max_batch, struct writer **out);
/* Queues j; PHR_ESHUTDOWN once the writer is stopping (done is then never
 * called). */
int writer_submit(struct writer *w, struct job *j);
/* Queues j and waits for it: for the CLI and start-up tasks. j->done is
 * replaced. Returns j->rc. */
int writer_call(struct writer *w, struct job *j);
/* Refuses new jobs, commits the queued ones, closes the connection. */
void writer_stop(struct writer *w);
void writer_get_stats(struct writer *w, struct writer_stats *out);

#endif
