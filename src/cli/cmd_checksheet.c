/* The checksheet at the command line (R5.1-R5.3; docs/checksheet.md):
 *   phr checksheet assess  --data DIR --items FILE
 *   phr checksheet answer  --data DIR --item ID --status S --date D [--document REF] [--reason TEXT] --approver NAME
 *   phr checksheet approve --data DIR --id N --approver NAME
 *   phr checksheet list    --data DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "util/err.h"

#define ITEMS_FILE_MAX (1024 * 1024)

#define ASSESS_OPTS (STORE_OPTS | RETENTION_OPTS | BIT(OPT_ITEMS))
#define ANSWER_OPTS                                                                                          \
    (STORE_OPTS | BIT(OPT_ITEM) | BIT(OPT_STATUS) | BIT(OPT_DATE) | BIT(OPT_DOCUMENT) | BIT(OPT_REASON) |      \
     BIT(OPT_APPROVER))
#define APPROVE_OPTS (STORE_OPTS | BIT(OPT_ID) | BIT(OPT_APPROVER))

static const char usage[] = "usage: phr checksheet assess|answer|approve|list --data DIR ...\n";

static const char help[] =
    "assess: answers every item of the items file (--items) now: the checks marked in the file\n"
    "  are computed from the store (the audit chain verifies, records are sealed, staff have a\n"
    "  second factor, retention ran, no data without consent, a provision record for every\n"
    "  provision, ...); the other items take the security officer's latest answer. Stored as a\n"
    "  draft, never public, and printed.\n"
    "answer: the security officer's answer to an item the system cannot check: --status, the\n"
    "  --date it was established, the --document that shows it, and a --reason if not implemented.\n"
    "approve: publishes a draft (--id) at /checksheet, beside the terms and the privacy policy.\n"
    "list: every assessment, approved or not.";

int cmd_checksheet(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    struct buf out = {0};
    const char *sub = argc >= 2 ? argv[1] : "";
    opt_mask opts = !strcmp(sub, "assess")    ? ASSESS_OPTS
                    : !strcmp(sub, "answer")  ? ANSWER_OPTS
                    : !strcmp(sub, "approve") ? APPROVE_OPTS
                    : !strcmp(sub, "list")    ? STORE_OPTS
                                              : 0;
    if (!opts) {
        fputs(usage, stderr);
        return 2;
    }
    int started;
    if (cli_start(argc - 1, argv + 1, "checksheet assess|answer|approve|list", help, opts, &c, &started))
        return started;
    int rc = 1;
    char *items = NULL;
    size_t len = 0;
    int64_t on = 0, id = 0;
    if (!strcmp(sub, "assess") && !(items = read_small_file(c.val[OPT_ITEMS] ? c.val[OPT_ITEMS] : "checksheet/items.json",
                                                            ITEMS_FILE_MAX, &len)))
        return 1;
    if (!strcmp(sub, "answer") && (on = date_option(&c, OPT_DATE)) < 0)
        return 2;
    if (!strcmp(sub, "approve") && ((id = cli_number(&c, OPT_ID, 0, 1, 1L << 30)) <= 0)) {
        fprintf(stderr, "phr checksheet approve: --id N names the assessment (see 'phr checksheet list')\n");
        return 2;
    }
    if (cli_service(&c, &p, &svc))
        goto out;
    struct actor a = operator_actor("operator");
    struct fault fault;
    int made;
    if (!strcmp(sub, "assess"))
        made = checksheet_assess(svc, &a, items, len, &out, &fault);
    else if (!strcmp(sub, "answer"))
        made = checksheet_answer(svc, &a, c.val[OPT_ITEM], c.val[OPT_STATUS], on, c.val[OPT_DOCUMENT],
                                 c.val[OPT_REASON], c.val[OPT_APPROVER], &fault);
    else if (!strcmp(sub, "approve"))
        made = checksheet_approve(svc, &a, id, c.val[OPT_APPROVER], &fault);
    else
        made = checksheet_list(svc, &out) ? fault_set(&fault, F_UNAVAILABLE, NULL, "the store could not be read") : 0;
    if (made != 0) {
        cli_fault(&fault, "phr checksheet %s", sub);
        goto out;
    }
    if (out.len)
        printf("%s\n", buf_cstr(&out));
    else
        printf("done\n");
    rc = 0;
out:
    free(items);
    buf_free(&out);
    service_close(svc);
    paths_free(&p);
    return rc;
}
