/* Staff accounts at the command line, for the operator (and the first
 * information-asset manager):
 *   phr staff add --login L --role R     prints the first password, the TOTP
 *                                        provisioning URI and recovery codes, once
 *   phr staff list
 *   phr staff disable|enable --login L
 *   phr staff role --login L --role R */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "util/err.h"

#define STAFF_OPTS (STORE_OPTS | BIT(OPT_LOGIN) | BIT(OPT_ROLE))

int cmd_staff(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    const char *sub = argc >= 2 ? argv[1] : "";
    if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "disable") && strcmp(sub, "enable") &&
        strcmp(sub, "role")) {
        fprintf(stderr, "usage: phr staff add|list|disable|enable|role --data DIR [--login L] [--role R]\n");
        return 2;
    }
    int started;
    if (cli_start(argc - 1, argv + 1, "staff add|list|disable|enable|role",
                  "Staff accounts, apart from persons'. Roles: security-officer (the handling history,\n"
                  "incidents), asset-manager (staff accounts), handler (a person's data, under a stated\n"
                  "reason), auditor (the handling history, never health data).\n"
                  "add prints the first password, the TOTP provisioning URI (for an authenticator app)\n"
                  "and ten recovery codes: once, never again. Staff sign in with POST /api/v1/staff/login.\n"
                  "Accounts unused for 90 days are disabled at their next attempt; enable re-opens them.\n"
                  "Every change is in the handling history.",
                  STAFF_OPTS, &c, &started))
        return started;
    int rc = 1;
    if (strcmp(sub, "list") && !c.val[OPT_LOGIN]) {
        fprintf(stderr, "phr staff %s: --login is required\n", sub);
        return 2;
    }
    if (cli_service(&c, &p, &svc))
        goto out;
    struct actor a = operator_actor("operator");
    if (!strcmp(sub, "list")) {
        struct buf b;
        buf_init(&b);
        struct fault fault;
        if (staff_list(svc, &a, &b, &fault) == 0) {
            printf("%s\n", buf_cstr(&b));
            rc = 0;
        } else {
            cli_fault(&fault, "phr staff list");
        }
        buf_free(&b);
        goto out;
    }
    struct op *op;
    struct fault fault;
    int made = !strcmp(sub, "add") ? staff_add(svc, &a, c.val[OPT_LOGIN], c.val[OPT_ROLE], &op, &fault)
                                   : staff_change(svc, &a, c.val[OPT_LOGIN], sub, c.val[OPT_ROLE], &op, &fault);
    if (made != 0) {
        cli_fault(&fault, "phr staff %s", sub);
        goto out;
    }
    rc = run_op(svc, op, sub);
out:
    service_close(svc);
    paths_free(&p);
    return rc;
}
