/* A person's account at the command line, for the operator acting on a
 * request received at a counter or by mail, after checking who asks:
 *   phr account second-factor-off --login L   removes the person's second
 *                                             factor (a lost phone) */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "util/err.h"

#define ACCOUNT_OPTS (STORE_OPTS | BIT(OPT_LOGIN))

int cmd_account(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    const char *sub = argc >= 2 ? argv[1] : "";
    if (strcmp(sub, "second-factor-off")) {
        fprintf(stderr, "usage: phr account second-factor-off --data DIR --login L\n");
        return 2;
    }
    int started;
    if (cli_start(argc - 1, argv + 1, "account second-factor-off",
                  "Removes a person's second factor, for a person who lost the phone with the\n"
                  "authenticator app: check who asks first (identity documents at a counter, or a\n"
                  "letter to the registered address). The person signs in with the password alone\n"
                  "afterwards and can add a new second factor in the portal. Recorded in the handling\n"
                  "history as the operator's.",
                  ACCOUNT_OPTS, &c, &started))
        return started;
    if (!c.val[OPT_LOGIN]) {
        fprintf(stderr, "phr account %s: --login is required\n", sub);
        return 2;
    }
    int rc = 1;
    if (cli_service(&c, &p, &svc))
        goto out;
    char person[ID_LEN + 1];
    if (accounts_person_id(svc, c.val[OPT_LOGIN], person) != PHR_OK) {
        fprintf(stderr, "phr account %s: no person has the login %s\n", sub, c.val[OPT_LOGIN]);
        goto out;
    }
    struct actor a = operator_actor("operator");
    struct op *op;
    struct fault fault;
    if (second_factor_change(svc, &a, person, "off", NULL, NULL, NULL, 0, &op, &fault) != 0) {
        cli_fault(&fault, "phr account %s", sub);
        goto out;
    }
    rc = run_op(svc, op, sub);
out:
    service_close(svc);
    paths_free(&p);
    return rc;
}
