/* What the command files (cli/cmd_*.c) share, from cli/common.c: finding
 * the store and the keys from the options, opening the service, running
 * an op; and the commands main.c's table names. */
#ifndef PHR_COMMANDS_H
#define PHR_COMMANDS_H

#include "cli/options.h"
#include "service/service.h"
#include "util/buf.h"

#define BIT(o) ((opt_mask)1 << (o))
#define STORE_OPTS \
    (BIT(OPT_DATA) | BIT(OPT_STORE) | BIT(OPT_KEY) | BIT(OPT_OLD_KEYS) | BIT(OPT_AUDIT_KEY) | BIT(OPT_WITNESS) |    \
     BIT(OPT_LOG_LEVEL))

/* The retention rules, read by serve and by 'phr retention run'. */
#define RETENTION_OPTS                                                                                       \
    (BIT(OPT_INACTIVE_DAYS) | BIT(OPT_NOTICE_DAYS) | BIT(OPT_PROVISION_DAYS) | BIT(OPT_RETENTION_HOURS) |      \
     BIT(OPT_NOTICE_SINK))

/* Who the provider is, for the packages it makes (serve). */
#define PROVIDER_OPTS (BIT(OPT_PROVIDER_ID) | BIT(OPT_PROVIDER_NAME))

struct paths {
    struct buf db, key, audit_key;
    struct buf shown;   /* db as printed: a URL's password hidden */
};

/* The store's location as it may be printed. */
const char *store_shown(struct paths *p);

/* The start of every command: parses its options (allowed), prints its
 * help for --help (name, text), sets the log level. 0 to go on; 1 when the
 * command is to stop with *status (2: bad options; 0: the help shown). */
int cli_start(int argc, char **argv, const char *name, const char *text, opt_mask allowed, struct cli *c,
              int *status);

/* DIR/phr.db and the key path; -1 after printing why. */
int paths_for(const struct cli *c, struct paths *p);
void paths_free(struct paths *p);
void set_log_level(const struct cli *c);
/* paths_for and open_service together: 0, or -1 after printing why (the
 * caller frees p and closes *svc either way). */
int cli_service(const struct cli *c, struct paths *p, struct service **svc);
/* Opens the service on an existing store, printing why not. */
int open_service(const struct cli *c, struct paths *p, struct service **svc);

/* The operator at the command line: the system actor the gate lets do
 * what only the operator may, recorded as "system:<name>". */
struct actor operator_actor(const char *name);

/* A progress bar on stderr: "[####    ] done / total what". */
void cli_progress(int64_t done, int64_t total, const char *what);

/* Prints "<prefix>: <detail>" for a refusal, with the option to correct
 * when the field at fault is one ("… (--item)"). */
void cli_fault(const struct fault *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs an op to completion, prints its answer (wiped after: it may hold
 * secrets shown once) or its refusal as "phr WHAT: …"; frees it. 0 or 1. */
int run_op(struct service *svc, struct op *op, const char *what);

/* Loads the demo person if absent (serve --demo, phr demo). */
int load_demo(struct service *svc);

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_consent(int argc, char **argv);
int cmd_recipient(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_staff(int argc, char **argv);
int cmd_account(int argc, char **argv);
int cmd_inventory(int argc, char **argv);
int cmd_incident(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_retention(int argc, char **argv);
int cmd_termination(int argc, char **argv);
int cmd_checksheet(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_anonymise(int argc, char **argv);

/* Reads a whole file of at most max bytes (NUL-terminated; free() it);
 * NULL after printing why. */
char *read_small_file(const char *path, size_t max, size_t *len);
/* A date or time option as ms (a date: its start in Japan); 0 if absent,
 * -1 (printed) if it does not parse. */
int64_t date_option(const struct cli *c, enum opt_id id);

#endif
