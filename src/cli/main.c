/* phr: the PHR service's one binary. Each command is declared once in the
 * table below, which also writes the usage; each command's file calls the
 * same service/ functions the HTTP API calls. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "cli/commands.h"

static const struct command {
    const char *name, *synopsis, *summary;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"init", "", "create the store, the master key and the audit key", cmd_init},
    {"serve", "", "serve the FHIR and JSON APIs", cmd_serve},
    {"demo", "", "load the demo person with synthetic vitals", cmd_demo},
    {"policy", "publish", "publish terms, summary, privacy policy and purposes of use", cmd_policy},
    {"consent", "show|record|suspend|lift", "a person's consents: inquiries, requests by phone, mail or at a counter",
     cmd_consent},
    {"recipient", "add|list|group|join|leave|agreement",
     "outside organisations (recipients, processors, partners), groups, agreements", cmd_recipient},
    {"staff", "add|list|disable|enable|role", "staff accounts, their roles and second factor", cmd_staff},
    {"account", "second-factor-off", "a person's second factor removed (a lost phone)", cmd_account},
    {"audit", "verify|query|export|trace|pubkey|keygen",
     "the handling history: checks (witness, records), auditors' reading, incident tracing", cmd_audit},
    {"incident", "add|note|list", "incident records: what, when found, who was told", cmd_incident},
    {"inventory", "", "every data item held, from the live schema (Markdown or JSON)", cmd_inventory},
    {"keys", "new|rotate", "a new master key; re-wrap every data key under it", cmd_keys},
    {"retention", "run", "apply the retention rules once (--dry-run: show what would go)", cmd_retention},
    {"termination", "announce", "announce the end of the service: notices, export period, erasure", cmd_termination},
    {"import", "-- FILE...", "import files for a person (CDA, FHIR, お薬手帳, CSV, SPHR), with a progress bar",
     cmd_import},
    {"checksheet", "assess|answer|approve|list", "the guideline checksheet: computed evidence, answers, approval "
                                                 "publishes it", cmd_checksheet},
    {"store", "copy", "copy a whole store into an empty one (SQLite to PostgreSQL), with a progress bar", cmd_store},
    {"anonymise", "csv|run|provide", "anonymised data (匿名加工情報): from ARX's files; data sets from the checkups",
     cmd_anonymise},
};

static void usage(void)
{
    printf("phr %s: a Personal Health Record service\n\nusage: phr <command> [options]\n\ncommands:\n", PHR_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s %s", commands[i].name, commands[i].synopsis);
        if (strlen(left) > 21)
            printf("  %s\n  %-21s %s\n", left, "", commands[i].summary);
        else
            printf("  %-21s %s\n", left, commands[i].summary);
    }
    printf("  %-21s %s\n  %-21s %s\n", "help", "this text; 'phr <command> --help' for a command's options", "version",
           "print the version");
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
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("phr %s\n", PHR_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage();
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "phr: unknown command '%s' (try 'phr help')\n", cmd);
    return 2;
}
