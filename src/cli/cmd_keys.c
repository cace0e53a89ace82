/* Master-key rotation at the command line (R2.5; docs/operating.md):
 *   phr keys new --out FILE
 *   phr keys rotate --data DIR --key NEW --old-keys OLD[,OLD...]
 * The audit signing key is rotated with 'phr audit keygen' after moving the
 * old file away; verifiers keep the old public key (--audit-pub OLD,NEW). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "crypto/keys.h"
#include "util/err.h"

#define NEW_OPTS (BIT(OPT_OUT) | BIT(OPT_LOG_LEVEL))

static void progress(int64_t done, int64_t total)
{
    cli_progress(done, total, "data keys");
    if (done >= total)
        fputc('\n', stderr);
}

int cmd_keys(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    const char *sub = argc >= 2 ? argv[1] : "";
    int is_new = !strcmp(sub, "new");
    if (!is_new && strcmp(sub, "rotate")) {
        fprintf(stderr, "usage: phr keys new --out FILE | phr keys rotate --data DIR --key NEW --old-keys OLD\n");
        return 2;
    }
    int started;
    if (cli_start(argc - 1, argv + 1, "keys new|rotate",
                  "new: writes a new master key file (mode 0600), never over an existing file.\n"
                  "rotate: with --key naming the new key and --old-keys the old one(s), re-wraps every\n"
                  "  person's data key and every staff TOTP key under the new key, in batches, while the\n"
                  "  service may keep running (started with the same --key and --old-keys). Records are\n"
                  "  not re-encrypted: their data keys do not change. Run again after an interruption.\n"
                  "  Afterwards no row needs the old key: remove it from --old-keys and destroy it.",
                  is_new ? NEW_OPTS : STORE_OPTS, &c, &started))
        return started;
    if (is_new) {
        if (!c.val[OPT_OUT]) {
            fprintf(stderr, "phr keys new: --out FILE is required\n");
            return 2;
        }
        int err = mkey_create(c.val[OPT_OUT]);
        if (err) {
            fprintf(stderr, "phr keys new: %s %s\n", err == PHR_EEXIST ? "refusing to overwrite" : "cannot write",
                    c.val[OPT_OUT]);
            return 1;
        }
        printf("new master key: %s\n", c.val[OPT_OUT]);
        return 0;
    }
    int rc = 1;
    if (!c.val[OPT_KEY] || !c.val[OPT_OLD_KEYS]) {
        fprintf(stderr, "phr keys rotate: --key (the new key) and --old-keys (the old one) are required\n");
        return 2;
    }
    if (cli_service(&c, &p, &svc))
        goto out;
    struct actor a = operator_actor("operator");
    struct fault fault;
    int64_t n = 0;
    if (keys_rotate(svc, &a, progress, &n, &fault) != 0) {
        cli_fault(&fault, "\nphr keys rotate");
        goto out;
    }
    printf("re-wrapped %lld data keys under the new master key\n", (long long)n);
    rc = 0;
out:
    service_close(svc);
    paths_free(&p);
    return rc;
}
