/* phr serve: the HTTP server over the service until SIGTERM or SIGINT. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "http/server.h"
#include "service/service.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define SERVE_OPTS                                                                                            \
    (STORE_OPTS | BIT(OPT_LISTEN) | BIT(OPT_THREADS) | BIT(OPT_PUBLIC_URL) | BIT(OPT_ALLOWED_HOSTS) | BIT(OPT_DEMO) |                 \
     BIT(OPT_SESSION_IDLE) | BIT(OPT_SESSION_MAX) | BIT(OPT_LOCK_AFTER) | BIT(OPT_LOCK_SECONDS) |             \
     BIT(OPT_LOGIN_DELAY) | BIT(OPT_MAX_BODY) | BIT(OPT_CHECKPOINT) | BIT(OPT_TLS_CERT) | BIT(OPT_TLS_KEY) |      \
     BIT(OPT_PER_IP) | BIT(OPT_CLIENT_LOCK) | BIT(OPT_RATE_ADDRESS) | BIT(OPT_RATE_ACCOUNT) | RETENTION_OPTS |     \
     BIT(OPT_WEB) | PROVIDER_OPTS)

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

int cmd_serve(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    struct server *srv = NULL;
    struct buf tls_cert, tls_key;
    int rc = 1;
    buf_init(&tls_cert);
    buf_init(&tls_key);
    int started;
    if (cli_start(argc, argv, "serve",
                  "Serves the FHIR and JSON APIs until SIGTERM or SIGINT, then finishes the\n"
                           "requests in flight and closes the store.",
                  SERVE_OPTS, &c, &started))
        return started;
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
