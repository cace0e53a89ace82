/* What every command shares: where the store and the keys are, opening
 * the service with the options' settings, running an op to its answer,
 * reading the operator's files and dates. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "formats/fhirtime.h"
#include "service/service.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

int cli_start(int argc, char **argv, const char *name, const char *text, opt_mask allowed, struct cli *c,
              int *status)
{
    *status = 2;
    if (cli_parse(argc, argv, allowed, c))
        return 1;
    if (c->help) {
        cli_usage(name, text, allowed);
        *status = 0;
        return 1;
    }
    set_log_level(c);
    return 0;
}

int cli_service(const struct cli *c, struct paths *p, struct service **svc)
{
    return paths_for(c, p) || open_service(c, p, svc) != PHR_OK ? -1 : 0;
}

int paths_for(const struct cli *c, struct paths *p)
{
    buf_init(&p->db);
    buf_init(&p->key);
    buf_init(&p->audit_key);
    buf_init(&p->shown);
    if (!c->val[OPT_DATA]) {
        fprintf(stderr, "phr: --data DIR (or PHR_DATA) is required\n");
        return -1;
    }
    if (c->val[OPT_STORE] ? buf_puts(&p->db, c->val[OPT_STORE]) : buf_printf(&p->db, "%s/phr.db", c->val[OPT_DATA]))
        return -1;
    if (c->val[OPT_KEY] ? buf_puts(&p->key, c->val[OPT_KEY]) : buf_printf(&p->key, "%s/master.key", c->val[OPT_DATA]))
        return -1;
    if (c->val[OPT_AUDIT_KEY] ? buf_puts(&p->audit_key, c->val[OPT_AUDIT_KEY])
                              : buf_printf(&p->audit_key, "%s/audit.key", c->val[OPT_DATA]))
        return -1;
    return 0;
}

void paths_free(struct paths *p)
{
    buf_wipe(&p->db); /* a URL may hold a password */
    buf_free(&p->key);
    buf_free(&p->audit_key);
    buf_free(&p->shown);
}

const char *store_shown(struct paths *p)
{
    return store_location_shown(p->db.data, &p->shown) ? "(the store)" : buf_cstr(&p->shown);
}

void set_log_level(const struct cli *c)
{
    const char *l = c->val[OPT_LOG_LEVEL];
    if (!l)
        return;
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(l, names[i]) == 0)
            log_set_level((enum log_level)i);
}

void cli_progress(int64_t done, int64_t total, const char *what)
{
    static const char bar[] = "########################################";
    int width = (int)sizeof bar - 1, filled = total ? (int)(done * width / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %lld / %lld %s", filled, bar, width - filled, "", (long long)done, (long long)total,
            what);
}

void cli_fault(const struct fault *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s", f->detail);
    if (f->expression[0] && cli_flag_exists(f->expression))
        fprintf(stderr, " (--%s)", f->expression);
    fputc('\n', stderr);
}

int run_op(struct service *svc, struct op *op, const char *what)
{
    int err = op_wait(svc, op);
    const struct op_result *res = op_result(op);
    int rc = 1;
    if (res->err && res->fault.detail[0]) {
        cli_fault(&res->fault, "phr %s", what);
    } else if (err || res->err) {
        fprintf(stderr, "phr %s: %s\n", what, phr_strerror(err ? err : res->err));
    } else {
        struct buf out;
        buf_init(&out);
        if (op_render(op, &out) == PHR_OK) {
            if (out.len)
                printf("%s\n", out.data);
            rc = 0;
        }
        buf_wipe(&out); /* answers may hold secrets shown once */
    }
    op_free(op);
    return rc;
}

char *read_small_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "phr: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *data = malloc(max + 1);
    size_t n = data ? fread(data, 1, max + 1, f) : 0;
    int bad = !data || ferror(f);
    fclose(f);
    if (bad || n > max) {
        fprintf(stderr, "phr: %s: %s\n", path, bad ? "cannot be read" : "too large");
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return data;
}

struct actor operator_actor(const char *name)
{
    struct actor a = {.kind = ACTOR_SYSTEM, .client = "cli", .request_id = "cli"};
    snprintf(a.id, sizeof a.id, "%s", name);
    return a;
}

int64_t date_option(const struct cli *c, enum opt_id id)
{
    int64_t lo, hi;
    if (!c->val[id])
        return 0;
    if (fhirtime_parse(c->val[id], FHIRTIME_SEARCH, 9 * 60, &lo, &hi) || lo <= 0) {
        fprintf(stderr, "phr: --%s: not a date or time (2026-11-24, 2026-11-24T09:00+09:00)\n",
                cli_flag_name(id));
        return -1;
    }
    return lo;
}

int open_service(const struct cli *c, struct paths *p, struct service **svc)
{
    struct service_config cfg;
    service_config_defaults(&cfg);
    cfg.db_path = p->db.data;
    cfg.key_path = p->key.data;
    cfg.audit_key_path = p->audit_key.data;
    cfg.witness_path = c->val[OPT_WITNESS];
    cfg.old_key_paths = c->val[OPT_OLD_KEYS];
    cfg.crash_after = getenv("PHR_TEST_CRASH_AFTER");
    long ckpt = cli_number(c, OPT_CHECKPOINT, 60, 0, 86400);
    if (ckpt < 0)
        return PHR_EINVAL;
    cfg.checkpoint_interval_ms = ckpt * 1000;
    long idle = cli_number(c, OPT_SESSION_IDLE, 1800, 1, 86400 * 30);
    long max = cli_number(c, OPT_SESSION_MAX, 43200, 1, 86400 * 90);
    long after = cli_number(c, OPT_LOCK_AFTER, 5, 1, 1000);
    long client_after = cli_number(c, OPT_CLIENT_LOCK, 30, 1, 100000);
    long lock = cli_number(c, OPT_LOCK_SECONDS, 900, 0, 86400 * 30);
    long delay = cli_number(c, OPT_LOGIN_DELAY, 1000, 0, 600000);
    long inactive = cli_number(c, OPT_INACTIVE_DAYS, 1826, 0, 36500);
    long notice = cli_number(c, OPT_NOTICE_DAYS, 90, 1, 3650);
    long provision = cli_number(c, OPT_PROVISION_DAYS, 1095, 1095, 36500);
    long hours = cli_number(c, OPT_RETENTION_HOURS, 24, 0, 24 * 365);
    if (idle < 0 || max < 0 || after < 0 || lock < 0 || delay < 0 || client_after < 0 || inactive < 0 ||
        notice < 0 || provision < 0 || hours < 0)
        return PHR_EINVAL;
    cfg.inactive_after_ms = inactive * 86400000LL;
    cfg.inactive_notice_ms = notice * 86400000LL;
    cfg.provision_keep_ms = provision * 86400000LL;
    cfg.retention_interval_ms = hours * 3600000LL;
    cfg.notice_sink = c->val[OPT_NOTICE_SINK];
    if (c->val[OPT_PROVIDER_ID])
        cfg.provider_id = c->val[OPT_PROVIDER_ID];
    if (c->val[OPT_PROVIDER_NAME])
        cfg.provider_name = c->val[OPT_PROVIDER_NAME];
    cfg.client_lock_after = (int)client_after;
    cfg.session_idle_ms = idle * 1000;
    cfg.session_max_ms = max * 1000;
    cfg.login_lock_after = (int)after;
    cfg.login_lock_ms = lock * 1000;
    cfg.login_delay_ms = delay;
    struct store *probe;
    int err = store_open(p->db.data, STORE_READONLY, &probe);
    store_close(probe);
    if (err == PHR_ENOTFOUND) {
        fprintf(stderr, "phr: no store at %s: run 'phr init' first\n", store_shown(p));
        return err;
    }
    if (err == PHR_OK)
        err = service_open(&cfg, svc);
    if (err == PHR_EPERM)
        fprintf(stderr, "phr: a key file (%s or %s) is readable by others: chmod 600 it\n", p->key.data,
                p->audit_key.data);
    else if (err == PHR_ENOTFOUND)
        fprintf(stderr, "phr: a key file is missing (%s, %s); an audit key for an older store is made with "
                        "'phr audit keygen'\n", p->key.data, p->audit_key.data);
    else if (err == PHR_EVERSION)
        fprintf(stderr, "phr: the store %s was written by a newer phr; refusing to open it\n", store_shown(p));
    else if (err)
        fprintf(stderr, "phr: cannot open the service: %s\n", phr_strerror(err));
    return err;
}

int load_demo(struct service *svc)
{
    int created;
    int err = demo_load(svc, &created);
    if (err) {
        fprintf(stderr, "phr: loading the demo data failed: %s\n", phr_strerror(err));
        return err;
    }
    if (created)
        fprintf(stderr, "phr: demo person loaded: login %s, password %s\n", DEMO_LOGIN, DEMO_PASSWORD);
    return PHR_OK;
}
