/* What the provider must be able to show (R2.6, R2.8):
 *   phr inventory [--format markdown|json]   every data item, from the live schema
 *   phr incident add --what TEXT [--found TIME] [--told TEXT]
 *   phr incident note --incident ID --what TEXT [--told TEXT]
 *   phr incident list */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "formats/fhirtime.h"
#include "util/err.h"

#define INVENTORY_OPTS (STORE_OPTS | BIT(OPT_FORMAT))
#define INCIDENT_OPTS (STORE_OPTS | BIT(OPT_WHAT) | BIT(OPT_FOUND) | BIT(OPT_TOLD) | BIT(OPT_INCIDENT))

int cmd_inventory(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    int rc = 1;
    int started;
    if (cli_start(argc, argv, "inventory",
                  "Prints every data item the store holds, read from the live schema: where it is, how it\n"
                  "is protected (sealed, hashed, plain), which purposes cover it, who can reach it and how\n"
                  "long it is kept. Exit status 1 if a table is not described (unclassified).",
                  INVENTORY_OPTS, &c, &started))
        return started;
    const char *fmt = c.val[OPT_FORMAT] ? c.val[OPT_FORMAT] : "markdown";
    if (strcmp(fmt, "markdown") && strcmp(fmt, "json")) {
        fprintf(stderr, "phr inventory: --format is markdown or json\n");
        return 2;
    }
    if (cli_service(&c, &p, &svc))
        goto out;
    struct buf b;
    buf_init(&b);
    int unclassified = 0;
    int err = inventory(svc, !strcmp(fmt, "markdown"), &b, &unclassified);
    if (err)
        fprintf(stderr, "phr inventory: %s\n", phr_strerror(err));
    else
        printf("%s\n", buf_cstr(&b));
    if (!err && unclassified)
        fprintf(stderr, "phr inventory: %d table(s) not described; the inventory is incomplete\n", unclassified);
    rc = err || unclassified ? 1 : 0;
    buf_free(&b);
out:
    service_close(svc);
    paths_free(&p);
    return rc;
}

int cmd_incident(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    const char *sub = argc >= 2 ? argv[1] : "";
    if (strcmp(sub, "add") && strcmp(sub, "note") && strcmp(sub, "list")) {
        fprintf(stderr, "usage: phr incident add|note|list --data DIR [options]\n");
        return 2;
    }
    int started;
    if (cli_start(argc - 1, argv + 1, "incident add|note|list",
                  "Keeps incident records: what happened, when it was found, who was told. A record is\n"
                  "never changed; 'note' adds what is learned later to an incident. Use 'phr audit trace'\n"
                  "to find which persons and records an incident touched.",
                  INCIDENT_OPTS, &c, &started))
        return started;
    int64_t found = 0, hi, ref = 0;
    if (c.val[OPT_FOUND] && fhirtime_parse(c.val[OPT_FOUND], FHIRTIME_SEARCH, 9 * 60, &found, &hi)) {
        fprintf(stderr, "phr incident: --found must be a date or time, such as 2026-11-24T10:30+09:00\n");
        return 2;
    }
    if (!strcmp(sub, "note")) {
        char *end = NULL;
        ref = c.val[OPT_INCIDENT] ? strtoll(c.val[OPT_INCIDENT], &end, 10) : 0;
        if (ref <= 0 || *end) {
            fprintf(stderr, "phr incident note: --incident ID is required\n");
            return 2;
        }
    }
    if (strcmp(sub, "list") && !c.val[OPT_WHAT]) {
        fprintf(stderr, "phr incident %s: --what is required\n", sub);
        return 2;
    }
    int rc = 1;
    if (cli_service(&c, &p, &svc))
        goto out;
    if (!strcmp(sub, "list")) {
        struct buf b;
        buf_init(&b);
        int err = incident_list(svc, &b);
        if (!err)
            printf("%s\n", buf_cstr(&b));
        rc = err ? 1 : 0;
        buf_free(&b);
        goto out;
    }
    struct actor a = operator_actor("operator");
    struct op *op;
    struct fault fault;
    if (incident_add(svc, &a, ref, found, c.val[OPT_WHAT], c.val[OPT_TOLD], &op, &fault) != 0) {
        cli_fault(&fault, "phr incident %s", sub);
        goto out;
    }
    rc = run_op(svc, op, sub);
out:
    service_close(svc);
    paths_free(&p);
    return rc;
}
