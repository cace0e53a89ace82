/* Retention and service termination at the command line (R3.11, R4.5;
 * docs/retention.md):
 *   phr retention run --data DIR [--dry-run] [--as-of TIME] [rules]
 *   phr termination announce --data DIR --export-until DATE --erase-after DATE */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "util/clock.h"
#include "util/err.h"

#define RUN_OPTS (STORE_OPTS | RETENTION_OPTS | BIT(OPT_DRY_RUN) | BIT(OPT_AS_OF))
#define ANNOUNCE_OPTS (STORE_OPTS | RETENTION_OPTS | BIT(OPT_EXPORT_UNTIL) | BIT(OPT_ERASE_AFTER))

/* Prints out on success, the refusal otherwise; 0 or 1. */
static int finish(int made, struct buf *out, const struct fault *fault, const char *what)
{
    if (made != 0) {
        cli_fault(fault, "phr %s", what);
        return 1;
    }
    printf("%s\n", buf_cstr(out));
    return 0;
}

int cmd_retention(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    struct buf out = {0};
    if (argc < 2 || strcmp(argv[1], "run")) {
        fprintf(stderr, "usage: phr retention run --data DIR [--dry-run] [--as-of TIME]\n");
        return 2;
    }
    int started;
    if (cli_start(argc - 1, argv + 1, "retention run",
                  "Applies the retention rules once: persons not signed in for --inactive-days are told\n"
                  "(at sign-in and through --notice-sink) and erased --notice-days later unless they sign\n"
                  "in; provision records older than --provision-days go; expired sessions and tokens,\n"
                  "stale sign-in throttles and request counts go; after an announced termination's\n"
                  "erase-after date every account goes. Prints the plan as JSON. --dry-run prints the same\n"
                  "plan and changes nothing. Running it twice does nothing the second time.",
                  RUN_OPTS, &c, &started))
        return started;
    int64_t as_of = date_option(&c, OPT_AS_OF);
    if (as_of < 0)
        return 2;
    int rc = 1;
    if (cli_service(&c, &p, &svc))
        goto out;
    struct actor a = operator_actor("operator");
    struct fault fault;
    int made = retention_run(svc, &a, as_of ? as_of : clock_now_ms(), c.val[OPT_DRY_RUN] != NULL, &out, &fault);
    rc = finish(made, &out, &fault, "retention run");
out:
    buf_free(&out);
    service_close(svc);
    paths_free(&p);
    return rc;
}

int cmd_termination(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    struct buf out = {0};
    if (argc < 2 || strcmp(argv[1], "announce")) {
        fprintf(stderr, "usage: phr termination announce --data DIR --export-until DATE --erase-after DATE\n");
        return 2;
    }
    int started;
    if (cli_start(argc - 1, argv + 1, "termination announce",
                  "Announces that the service ends (R4.5): every person is told at sign-in and through\n"
                  "--notice-sink; sign-up stops at once; persons may export their data until\n"
                  "--export-until; after --erase-after, retention erases every account. Recorded once,\n"
                  "in the handling history.",
                  ANNOUNCE_OPTS, &c, &started))
        return started;
    int64_t until = date_option(&c, OPT_EXPORT_UNTIL), after = date_option(&c, OPT_ERASE_AFTER);
    if (until < 0 || after < 0)
        return 2;
    if (!until || !after) {
        fprintf(stderr, "phr termination announce: --export-until and --erase-after are required\n");
        return 2;
    }
    int rc = 1;
    if (cli_service(&c, &p, &svc))
        goto out;
    struct actor a = operator_actor("operator");
    struct fault fault;
    rc = finish(termination_announce(svc, &a, until, after, &out, &fault), &out, &fault, "termination announce");
out:
    buf_free(&out);
    service_close(svc);
    paths_free(&p);
    return rc;
}
