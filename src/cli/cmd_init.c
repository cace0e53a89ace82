/* phr init (the data directory, the store, the keys, the first manager)
 * and phr demo (the demo person). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "crypto/keys.h"
#include "crypto/sign.h"
#include "service/service.h"
#include "store/store.h"
#include "util/err.h"

/* The first information-asset manager, made at init (R2.1). */
static int first_manager(const struct cli *c, struct paths *p)
{
    struct service *svc = NULL;
    if (open_service(c, p, &svc) != PHR_OK)
        return 1;
    struct actor a = {.kind = ACTOR_SYSTEM, .client = "cli", .request_id = "init"};
    snprintf(a.id, sizeof a.id, "operator");
    struct op *op;
    struct fault fault;
    int rc = 1;
    if (staff_add(svc, &a, c->val[OPT_LOGIN], ROLE_ASSET_MANAGER, &op, &fault) != 0)
        cli_fault(&fault, "phr init: the first staff account");
    else
        rc = run_op(svc, op, "init");
    service_close(svc);
    return rc;
}

int cmd_init(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    int rc = 1;
    int started;
    if (cli_start(argc, argv, "init",
                  "Creates the data directory, the store, the master key and the audit signing\n"
                          "key (both mode 0600). Refuses to overwrite an existing key or store.\n"
                          "--login makes the first information-asset manager and prints their first\n"
                          "password, TOTP provisioning URI and recovery codes, once.",
                  STORE_OPTS | BIT(OPT_LOGIN), &c, &started))
        return started;
    if (paths_for(&c, &p))
        goto out;
    if (mkdir(c.val[OPT_DATA], 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "phr init: cannot create %s: %s\n", c.val[OPT_DATA], strerror(errno));
        goto out;
    }
    struct store *st = NULL;
    int err = store_open(p.db.data, STORE_READONLY, &st);
    store_close(st);
    if (err != PHR_ENOTFOUND) {
        if (err == PHR_OK || err == PHR_EVERSION)
            fprintf(stderr, "phr init: %s exists already; refusing to initialise over it\n", store_shown(&p));
        else
            fprintf(stderr, "phr init: cannot reach the store %s: %s\n", store_shown(&p), phr_strerror(err));
        goto out;
    }
    err = mkey_create(p.key.data);
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
    if ((err = store_open(p.db.data, STORE_CREATE | STORE_NEW, &st)) != PHR_OK) {
        fprintf(stderr, "phr init: cannot create the store %s: %s\n", store_shown(&p), phr_strerror(err));
        goto out;
    }
    store_close(st);
    printf("initialised: store %s, master key %s, audit key %s\n", store_shown(&p), p.key.data, p.audit_key.data);
    rc = c.val[OPT_LOGIN] ? first_manager(&c, &p) : 0;
out:
    paths_free(&p);
    return rc;
}

int cmd_demo(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    int rc = 1;
    int started;
    if (cli_start(argc, argv, "demo",
                  "Loads the demo person and about three months of synthetic vitals, once.",
                  STORE_OPTS, &c, &started))
        return started;
    if (paths_for(&c, &p) == 0 && open_service(&c, &p, &svc) == PHR_OK && load_demo(svc) == PHR_OK)
        rc = 0;
    service_close(svc);
    paths_free(&p);
    return rc;
}
