/* store/writer: group commit. Jobs from many threads share commits; a
 * failing job is rolled back alone; `done` follows the commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>

#include "audit/audit.h"
#include "helpers.h"
#include "store/store.h"
#include "store/writer.h"
#include "util/err.h"

struct test_job {
    struct job job;
    int fail;
    int *done_count;
    pthread_mutex_t *lock;
};

static int append_run(struct job *j, struct store *st)
{
    struct test_job *t = (struct test_job *)j;
    struct audit_row e = {.at = 1, .actor = "system:test", .role = "system", .action = "test",
                          .result = t->fail ? "deny" : "allow"};
    int err = audit_append(st, &e);
    return err ? err : (t->fail ? PHR_EIO : PHR_OK);
}

static void count_done(struct job *j)
{
    struct test_job *t = (struct test_job *)j;
    pthread_mutex_lock(t->lock);
    (*t->done_count)++;
    pthread_mutex_unlock(t->lock);
}

#define THREADS 4
#define PER_THREAD 50

struct thread_arg {
    struct writer *w;
    int idx;
};

static char *new_store(const char *dir)
{
    char *db = path_in(dir, "phr.db");
    struct store *st;
    assert_int_equal(store_open(db, STORE_CREATE, &st), PHR_OK);
    store_close(st);
    return db;
}

static void *submitter(void *arg)
{
    struct thread_arg *a = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        struct test_job t = {.fail = (a->idx == 0 && i % 10 == 5)};
        t.job.run = append_run;
        assert_int_equal(writer_call(a->w, &t.job), t.fail ? PHR_EIO : PHR_OK);
    }
    return NULL;
}

static void many_threads_share_commits_and_failures_stay_alone(void **state)
{
    (void)state;
    char *d = tmpdir_new(), *db = new_store(d);
    struct writer *w;
    assert_int_equal(writer_start(db, 64, &w), PHR_OK);
    pthread_t th[THREADS];
    struct thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct thread_arg){w, i};
        pthread_create(&th[i], NULL, submitter, &args[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    struct writer_stats s;
    writer_get_stats(w, &s);
    assert_int_equal(s.jobs, THREADS * PER_THREAD);
    assert_true(s.batches <= s.jobs);
    writer_stop(w);

    struct store *st;
    struct audit_report rep;
    assert_int_equal(store_open(db, STORE_READONLY, &st), PHR_OK);
    assert_int_equal(audit_verify(st, NULL, 0, &rep), PHR_OK);
    /* The 5 failing jobs left nothing behind; the chain has no hole. */
    assert_int_equal(rep.entries, THREADS * PER_THREAD - 5);
    store_close(st);
    free(db);
    tmpdir_remove(d);
}

static void stop_commits_queued_jobs_then_refuses(void **state)
{
    (void)state;
    char *d = tmpdir_new(), *db = new_store(d);
    struct writer *w;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int done = 0;
    assert_int_equal(writer_start(db, 8, &w), PHR_OK);
    struct test_job jobs[20];
    for (int i = 0; i < 20; i++) {
        jobs[i] = (struct test_job){.done_count = &done, .lock = &lock};
        jobs[i].job.run = append_run;
        jobs[i].job.done = count_done;
        assert_int_equal(writer_submit(w, &jobs[i].job), PHR_OK);
    }
    writer_stop(w);
    assert_int_equal(done, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(jobs[i].job.rc, PHR_OK);
    free(db);
    tmpdir_remove(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_threads_share_commits_and_failures_stay_alone),
        cmocka_unit_test(stop_commits_queued_jobs_then_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
