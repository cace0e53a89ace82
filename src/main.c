/* phr: the PHR service's one binary. Each command is a few lines here that
 * call the same service/ functions the HTTP API calls. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "cli.h"
#include "commands.h"
#include "crypto/keys.h"
#include "crypto/sign.h"
#include "formats/fhirtime.h"
#include "http/server.h"
#include "service/service.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define SERVE_OPTS                                                                                            \
    (STORE_OPTS | BIT(OPT_LISTEN) | BIT(OPT_THREADS) | BIT(OPT_PUBLIC_URL) | BIT(OPT_ALLOWED_HOSTS) | BIT(OPT_DEMO) |                 \
     BIT(OPT_SESSION_IDLE) | BIT(OPT_SESSION_MAX) | BIT(OPT_LOCK_AFTER) | BIT(OPT_LOCK_SECONDS) |             \
     BIT(OPT_LOGIN_DELAY) | BIT(OPT_MAX_BODY) | BIT(OPT_CHECKPOINT) | BIT(OPT_TLS_CERT) | BIT(OPT_TLS_KEY) |      \
     BIT(OPT_PER_IP) | BIT(OPT_CLIENT_LOCK) | BIT(OPT_RATE_ADDRESS) | BIT(OPT_RATE_ACCOUNT) | RETENTION_OPTS |     \
     BIT(OPT_WEB))

int paths_for(const struct cli *c, struct paths *p)
{
    buf_init(&p->db);
    buf_init(&p->key);
    buf_init(&p->audit_key);
    if (!c->val[OPT_DATA]) {
        fprintf(stderr, "phr: --data DIR (or PHR_DATA) is required\n");
        return -1;
    }
    if (buf_printf(&p->db, "%s/phr.db", c->val[OPT_DATA]))
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
    buf_free(&p->db);
    buf_free(&p->key);
    buf_free(&p->audit_key);
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

int run_op(struct service *svc, struct op *op, const char *what)
{
    int err = op_wait(svc, op);
    const struct op_result *res = op_result(op);
    int rc = 1;
    if (res->err && res->issue.diagnostics[0]) {
        fprintf(stderr, "phr %s: %s\n", what, res->issue.diagnostics);
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

/* The first information-asset manager, made at init (R2.1). */
static int first_manager(const struct cli *c, const struct paths *p)
{
    struct service *svc = NULL;
    if (open_service(c, p, &svc) != PHR_OK)
        return 1;
    struct actor a = {.kind = ACTOR_SYSTEM, .client = "cli", .request_id = "init"};
    snprintf(a.id, sizeof a.id, "operator");
    struct op *op;
    struct issue is;
    int rc = 1;
    if (staff_add(svc, &a, c->val[OPT_LOGIN], ROLE_ASSET_MANAGER, &op, &is) != 0)
        fprintf(stderr, "phr init: the first staff account: %s\n", is.diagnostics);
    else
        rc = run_op(svc, op, "init");
    service_close(svc);
    return rc;
}

static int cmd_init(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    int rc = 1;
    if (cli_parse(argc, argv, STORE_OPTS | BIT(OPT_LOGIN), &c))
        return 2;
    if (c.help) {
        cli_usage("init", "Creates the data directory, the store, the master key and the audit signing\n"
                          "key (both mode 0600). Refuses to overwrite an existing key or store.\n"
                          "--login makes the first information-asset manager and prints their first\n"
                          "password, TOTP provisioning URI and recovery codes, once.",
                  STORE_OPTS | BIT(OPT_LOGIN));
        return 0;
    }
    if (paths_for(&c, &p))
        goto out;
    if (mkdir(c.val[OPT_DATA], 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "phr init: cannot create %s: %s\n", c.val[OPT_DATA], strerror(errno));
        goto out;
    }
    if (access(p.db.data, F_OK) == 0) {
        fprintf(stderr, "phr init: %s exists already; refusing to initialise over it\n", p.db.data);
        goto out;
    }
    int err = mkey_create(p.key.data);
    if (err == PHR_EEXIST) {
        fprintf(stderr, "phr init: refusing to overwrite the existing master key %s\n", p.key.data);
        goto out;
    }
    if (err) {
        fprintf(stderr, "phr init: cannot write the master key %s: %s\n", p.key.data, phr_strerror(err));
        goto out;
    }
    err = sign_key_create(p.audit_key.data);
    if (err) {
        fprintf(stderr, "phr init: %s the audit key %s\n",
                err == PHR_EEXIST ? "refusing to overwrite" : "cannot write", p.audit_key.data);
        goto out;
    }
    struct store *st;
    if ((err = store_open(p.db.data, STORE_CREATE, &st)) != PHR_OK) {
        fprintf(stderr, "phr init: cannot create the store %s: %s\n", p.db.data, phr_strerror(err));
        goto out;
    }
    store_close(st);
    printf("initialised: store %s, master key %s, audit key %s\n", p.db.data, p.key.data, p.audit_key.data);
    rc = c.val[OPT_LOGIN] ? first_manager(&c, &p) : 0;
out:
    paths_free(&p);
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

int open_service(const struct cli *c, const struct paths *p, struct service **svc)
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
    cfg.client_lock_after = (int)client_after;
    cfg.session_idle_ms = idle * 1000;
    cfg.session_max_ms = max * 1000;
    cfg.login_lock_after = (int)after;
    cfg.login_lock_ms = lock * 1000;
    cfg.login_delay_ms = delay;
    if (access(p->db.data, F_OK) != 0) {
        fprintf(stderr, "phr: no store at %s: run 'phr init --data %s' first\n", p->db.data, c->val[OPT_DATA]);
        return PHR_ENOTFOUND;
    }
    int err = service_open(&cfg, svc);
    if (err == PHR_EPERM)
        fprintf(stderr, "phr: a key file (%s or %s) is readable by others: chmod 600 it\n", p->key.data,
                p->audit_key.data);
    else if (err == PHR_ENOTFOUND)
        fprintf(stderr, "phr: a key file is missing (%s, %s); an audit key for an older store is made with "
                        "'phr audit keygen'\n", p->key.data, p->audit_key.data);
    else if (err == PHR_EVERSION)
        fprintf(stderr, "phr: the store %s was written by a newer phr; refusing to open it\n", p->db.data);
    else if (err)
        fprintf(stderr, "phr: cannot open the service: %s\n", phr_strerror(err));
    return err;
}

static int load_demo(struct service *svc)
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

/* Reads a PEM file for TLS; a private key must not be readable by others. */
static int read_pem(const char *path, int secret, struct buf *out)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "phr serve: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st) != 0 || (secret && (st.st_mode & 077))) {
        fprintf(stderr, "phr serve: %s is readable by others: chmod 600 it\n", path);
        fclose(f);
        return -1;
    }
    char chunk[4096];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && rc == 0)
        rc = out->len + n > 1024 * 1024 || buf_append(out, chunk, n) ? -1 : 0;
    explicit_bzero(chunk, sizeof chunk);
    if (ferror(f) || rc || out->len == 0) {
        fprintf(stderr, "phr serve: cannot read %s\n", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

static int cmd_serve(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    struct server *srv = NULL;
    struct buf tls_cert, tls_key;
    int rc = 1;
    buf_init(&tls_cert);
    buf_init(&tls_key);
    if (cli_parse(argc, argv, SERVE_OPTS, &c))
        return 2;
    if (c.help) {
        cli_usage("serve", "Serves the FHIR and JSON APIs until SIGTERM or SIGINT, then finishes the\n"
                           "requests in flight and closes the store.", SERVE_OPTS);
        return 0;
    }
    set_log_level(&c);
    if (paths_for(&c, &p))
        goto out;
    struct server_config scfg;
    server_config_defaults(&scfg);
    if (c.val[OPT_LISTEN])
        scfg.listen = c.val[OPT_LISTEN];
    scfg.public_url = c.val[OPT_PUBLIC_URL];
    scfg.allowed_hosts = c.val[OPT_ALLOWED_HOSTS];
    if (c.val[OPT_WEB])
        scfg.web_dir = c.val[OPT_WEB];
    long threads = cli_number(&c, OPT_THREADS, 2, 1, 256);
    long body = cli_number(&c, OPT_MAX_BODY, 262144, 1024, 64L * 1024 * 1024);
    if (threads < 0 || body < 0)
        goto out;
    scfg.threads = (unsigned)threads;
    scfg.max_body_fhir = (size_t)body;
    long per_ip = cli_number(&c, OPT_PER_IP, 256, 1, 65535);
    if (per_ip < 0)
        goto out;
    scfg.per_ip_limit = (unsigned)per_ip;
    long rate_addr = cli_number(&c, OPT_RATE_ADDRESS, 6000, 0, 10000000);
    long rate_acct = cli_number(&c, OPT_RATE_ACCOUNT, 1200, 0, 10000000);
    if (rate_addr < 0 || rate_acct < 0)
        goto out;
    scfg.rate_per_address = (unsigned)rate_addr;
    scfg.rate_per_account = (unsigned)rate_acct;
    if (!c.val[OPT_TLS_CERT] != !c.val[OPT_TLS_KEY]) {
        fprintf(stderr, "phr serve: --tls-cert and --tls-key go together\n");
        goto out;
    }
    if (c.val[OPT_TLS_CERT]) {
        if (read_pem(c.val[OPT_TLS_CERT], 0, &tls_cert) || read_pem(c.val[OPT_TLS_KEY], 1, &tls_key))
            goto out;
        scfg.tls_cert_pem = buf_cstr(&tls_cert);
        scfg.tls_key_pem = buf_cstr(&tls_key);
    }

    /* Signals are taken by sigwait() below, on this thread only. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (open_service(&c, &p, &svc) != PHR_OK)
        goto out;
    if (c.val[OPT_DEMO] && load_demo(svc) != PHR_OK)
        goto out;
    if (server_start(svc, &scfg, &srv) != PHR_OK) {
        fprintf(stderr, "phr serve: cannot start serving on %s (the log line above says why)\n", scfg.listen);
        goto out;
    }
    log_event(LOG_INFO, "serve.ready", "listen", scfg.listen, "version", PHR_VERSION, NULL);
    int sig = 0;
    sigwait(&set, &sig);
    log_event(LOG_INFO, "serve.stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    rc = 0;
out:
    server_stop(srv);
    service_close(svc);
    if (rc == 0)
        log_event(LOG_INFO, "serve.stopped", NULL);
    buf_free(&tls_cert);
    buf_wipe(&tls_key);
    paths_free(&p);
    return rc;
}

static int cmd_demo(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    int rc = 1;
    if (cli_parse(argc, argv, STORE_OPTS, &c))
        return 2;
    if (c.help) {
        cli_usage("demo", "Loads the demo person and about three months of synthetic vitals, once.", STORE_OPTS);
        return 0;
    }
    set_log_level(&c);
    if (paths_for(&c, &p) == 0 && open_service(&c, &p, &svc) == PHR_OK && load_demo(svc) == PHR_OK)
        rc = 0;
    service_close(svc);
    paths_free(&p);
    return rc;
}

static void usage(void)
{
    printf("phr %s: a Personal Health Record service\n\n"
           "usage: phr <command> [options]\n\n"
           "commands:\n"
           "  init          create the store, the master key and the audit key\n"
           "  serve         serve the FHIR and JSON APIs\n"
           "  demo          load the demo person with synthetic vitals\n"
           "  policy publish        publish terms, summary, privacy policy and purposes of use\n"
           "  consent show|record|suspend|lift\n"
           "                a person's consents: inquiries, requests by phone, mail or at a counter\n"
           "  recipient add|list|group|join|leave|agreement\n"
           "                outside organisations (recipients, processors, partners), groups, agreements\n"
           "  staff add|list|disable|enable|role\n"
           "                staff accounts, their roles and second factor\n"
           "  account second-factor-off\n"
           "                a person's second factor removed (a lost phone)\n"
           "  audit verify|query|export|trace|pubkey|keygen\n"
           "                the handling history: checks, auditors' reading, incident tracing\n"
           "  incident add|note|list  incident records: what, when found, who was told\n"
           "  inventory     every data item held, from the live schema (Markdown or JSON)\n"
           "  keys new|rotate       a new master key; re-wrap every data key under it\n"
           "  retention run         apply the retention rules once (--dry-run: show what would go)\n"
           "  termination announce  announce the end of the service: notices, export period, erasure\n"
           "  import -- FILE...     import files (特定健診 CDA) for a person, with a progress bar\n"
           "  checksheet assess|answer|approve|list\n"
           "                the guideline checksheet: computed evidence, answers, approval publishes it\n"
           "  help          this text; 'phr <command> --help' for a command's options\n"
           "  version       print the version\n",
           PHR_VERSION);
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "phr: libsodium failed to initialise\n");
        return 1;
    }
    if (argc < 2) {
        usage();
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("phr %s\n", PHR_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage();
        return 0;
    }
    if (strcmp(cmd, "init") == 0)
        return cmd_init(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0)
        return cmd_demo(argc - 1, argv + 1);
    if (strcmp(cmd, "audit") == 0)
        return cmd_audit(argc - 1, argv + 1);
    if (strcmp(cmd, "policy") == 0)
        return cmd_policy(argc - 1, argv + 1);
    if (strcmp(cmd, "consent") == 0)
        return cmd_consent(argc - 1, argv + 1);
    if (strcmp(cmd, "recipient") == 0)
        return cmd_recipient(argc - 1, argv + 1);
    if (strcmp(cmd, "staff") == 0)
        return cmd_staff(argc - 1, argv + 1);
    if (strcmp(cmd, "account") == 0)
        return cmd_account(argc - 1, argv + 1);
    if (strcmp(cmd, "inventory") == 0)
        return cmd_inventory(argc - 1, argv + 1);
    if (strcmp(cmd, "incident") == 0)
        return cmd_incident(argc - 1, argv + 1);
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(argc - 1, argv + 1);
    if (strcmp(cmd, "retention") == 0)
        return cmd_retention(argc - 1, argv + 1);
    if (strcmp(cmd, "termination") == 0)
        return cmd_termination(argc - 1, argv + 1);
    if (strcmp(cmd, "checksheet") == 0)
        return cmd_checksheet(argc - 1, argv + 1);
    if (strcmp(cmd, "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    fprintf(stderr, "phr: unknown command '%s' (try 'phr help')\n", cmd);
    return 2;
}
