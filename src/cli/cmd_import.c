/* Imports at the command line (R4.2), for the operator acting for a person
 * (files received by mail or at a counter) or for bulk loads:
 *   phr import --data DIR --login L [--source S] -- FILE...
 * Each file is one transaction; a line of JSON per file on stdout, a
 * progress bar on stderr; exit status 1 if any file was refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "service/service.h"
#include "util/err.h"

#define IMPORT_OPTS (STORE_OPTS | BIT(OPT_LOGIN) | BIT(OPT_SOURCE))

static void progress(size_t done, size_t total, size_t stored, size_t dup, size_t refused)
{
    int width = 30, filled = total ? (int)(done * (size_t)width / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu files: %zu imported, %zu already there, %zu refused", filled,
            "##############################", width - filled, "", done, total, stored, dup, refused);
    if (done == total)
        fputc('\n', stderr);
}

int cmd_import(int argc, char **argv)
{
    int sep = argc;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            sep = i;
            break;
        }
    struct cli c;
    int started;
    if (cli_start(sep, argv, "import -- FILE...",
                  "Imports files for the person with --login, as POST /api/v1/imports does: 特定健診 HL7\n"
                  "CDA R2 documents, FHIR R4 JSON, JAHIS お薬手帳 texts (UTF-8 or Shift_JIS), CSVs of\n"
                  "measurements and SPHR packages (zip), told apart by their content. Each file is stored\n"
                  "whole or not at all; a file\n"
                  "imported before is reported, not stored again. The files follow '--'. --source: insurer\n"
                  "(checkups' default), medical-institution (お薬手帳's default) or mynaportal.",
                  IMPORT_OPTS, &c, &started))
        return started;
    if (!c.val[OPT_LOGIN] || sep >= argc - 1) {
        fprintf(stderr, "usage: phr import --data DIR --login L [--source S] -- FILE...\n");
        return 2;
    }
    struct paths p;
    struct service *svc = NULL;
    char person[ID_LEN + 1];
    int rc = 1;
    if (cli_service(&c, &p, &svc))
        goto out;
    if (accounts_person_id(svc, c.val[OPT_LOGIN], person) != PHR_OK) {
        fprintf(stderr, "phr import: no person with the login %s\n", c.val[OPT_LOGIN]);
        goto out;
    }
    struct actor a = operator_actor("operator");
    size_t total = (size_t)(argc - sep - 1), stored = 0, dup = 0, refused = 0;
    for (size_t i = 0; i < total; i++) {
        const char *file = argv[sep + 1 + (int)i];
        size_t len;
        char *data = read_small_file(file, IMPORT_MAX_BYTES, &len);
        struct buf out = {0}, line = {0};
        struct fault fault = {.detail = "the file cannot be read"};
        int bad = buf_puts(&line, "{\"file\":") || buf_json_str(&line, file);
        int is_dup = 0;
        if (!data || import_file(svc, &a, person, c.val[OPT_SOURCE], "cli", data, len, &out, &is_dup, &fault) != 0) {
            refused++;
            bad = bad || buf_puts(&line, ",\"refused\":") || buf_json_str(&line, fault.detail);
        } else {
            dup += is_dup;
            stored += !is_dup;
            bad = bad || buf_puts(&line, ",\"result\":") || buf_append(&line, out.data, out.len);
        }
        if (!bad && !buf_puts(&line, "}"))
            printf("%s\n", buf_cstr(&line));
        free(data);
        buf_free(&out);
        buf_free(&line);
        progress(i + 1, total, stored, dup, refused);
    }
    rc = refused ? 1 : 0;
out:
    service_close(svc);
    paths_free(&p);
    return rc;
}
