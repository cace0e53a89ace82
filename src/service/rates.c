/* Request counts shared by every instance through the store (R2.9): the
 * HTTP layer counts locally and hands its deltas here about once a second;
 * one writer job adds them all and reads back each key's total. */
#include "service/internal.h"
#include "util/err.h"

struct rate_job {
    struct job job;
    struct rate_delta *d;
    size_t n;
    int64_t prune_before;
};

static int rate_run(struct job *j, struct store *st)
{
    struct rate_job *r = (struct rate_job *)j;
    int err = PHR_OK;
    for (size_t i = 0; i < r->n && !err; i++)
        err = store_rate_add(st, r->d[i].key, r->d[i].window, r->d[i].delta, &r->d[i].total);
    return err ? err : store_rate_prune(st, r->prune_before);
}

int service_rate_flush(struct service *svc, struct rate_delta *d, size_t n, int64_t prune_before)
{
    struct rate_job r = {.job = {.run = rate_run}, .d = d, .n = n, .prune_before = prune_before};
    return writer_call(svc->writer, &r.job);
}

int service_rate_get(struct service *svc, const char *key, int64_t window, int64_t *count)
{
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = store_rate_get(rd, key, window, count);
    service_reader_done(svc, rd);
    return err;
}
