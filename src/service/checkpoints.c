/* Signed checkpoints of the handling history: when the service opens (so
 * that what a crash left unsigned is signed before anything else is
 * added), every interval if the chain grew, and once more when it closes.
 * Each runs as a writer job, so it signs a head that is committed together
 * with it. A log line carries the signed head outside the database, and
 * with --witness an append-only file too: witnesses that an attacker who
 * rewrites the store cannot recall (`phr audit verify --witness`). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "audit/audit.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/ticker.h"

struct checkpoint_job {
    struct job job;
    const struct service *svc;
    const struct sign_key *key;
    int made;
    int64_t seq;
    unsigned char hash[SHA256_BYTES];
};

static int checkpoint_run(struct job *j, struct store *st)
{
    struct checkpoint_job *c = (struct checkpoint_job *)j;
    return audit_checkpoint(st, c->key, clock_now_ms(), &c->made, &c->seq, c->hash);
}

/* The witness line, as the log carries it; appended and synced, so that
 * a head once signed stays witnessed through a crash. */
static void witness(const char *path, const char *seq, const char *hex)
{
    char ts[32], line[256];
    clock_format_ms(clock_now_ms(), ts);
    int n = snprintf(line, sizeof line,
                     "{\"ts\":\"%s\",\"level\":\"info\",\"event\":\"audit.checkpoint\",\"seq\":\"%s\","
                     "\"hash\":\"%s\"}\n", ts, seq, hex);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    int ok = fd >= 0 && n > 0 && (size_t)n < sizeof line && write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        log_event(LOG_ERROR, "audit.witness_failed", "path", path, NULL);
}

static void report(const struct service *svc, const struct checkpoint_job *c)
{
    if (c->job.rc) {
        log_event(LOG_ERROR, "audit.checkpoint", "error", phr_strerror(c->job.rc), NULL);
        return;
    }
    if (!c->made)
        return;
    char seq[24], hex[2 * SHA256_BYTES + 1];
    snprintf(seq, sizeof seq, "%lld", (long long)c->seq);
    sodium_bin2hex(hex, sizeof hex, c->hash, SHA256_BYTES);
    log_event(LOG_INFO, "audit.checkpoint", "seq", seq, "hash", hex, NULL);
    if (svc->cfg.witness_path)
        witness(svc->cfg.witness_path, seq, hex);
}

static void checkpoint_done(struct job *j)
{
    struct checkpoint_job *c = (struct checkpoint_job *)j;
    report(c->svc, c);
    free(j);
}

int service_checkpoint_now(struct service *svc)
{
    struct checkpoint_job c = {.job = {.run = checkpoint_run}, .svc = svc, .key = svc->audit_key};
    int err = writer_call(svc->writer, &c.job);
    report(svc, &c);
    return err;
}

static void checkpoint_tick(void *arg)
{
    struct service *svc = arg;
    struct checkpoint_job *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->job.run = checkpoint_run;
    c->job.done = checkpoint_done;
    c->svc = svc;
    c->key = svc->audit_key;
    if (writer_submit(svc->writer, &c->job) != PHR_OK)
        free(c);
}

int checkpointing_start(struct service *svc, struct ticker **out)
{
    *out = NULL;
    if (svc->cfg.checkpoint_interval_ms <= 0)
        return PHR_OK;
    return ticker_start(svc->cfg.checkpoint_interval_ms, checkpoint_tick, svc, out);
}
