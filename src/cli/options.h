/* Command-line options shared by the commands: each has a --flag and a
 * PHR_* environment variable; the flag wins. */
#ifndef PHR_CLI_H
#define PHR_CLI_H

#include <stdint.h>

enum opt_id {
    OPT_DATA, OPT_KEY, OPT_LISTEN, OPT_THREADS, OPT_PUBLIC_URL, OPT_ALLOWED_HOSTS, OPT_DEMO, OPT_LOG_LEVEL,
    OPT_SESSION_IDLE, OPT_SESSION_MAX, OPT_LOCK_AFTER, OPT_LOCK_SECONDS, OPT_LOGIN_DELAY,
    OPT_MAX_BODY, OPT_MANIFEST, OPT_DRY_RUN, OPT_LOGIN, OPT_PURPOSE, OPT_DECISION, OPT_CHANNEL, OPT_BY,
    OPT_NAME, OPT_ADDRESS, OPT_COUNTRY, OPT_CONTACT, OPT_GROUP, OPT_RECIPIENT,
    OPT_AUDIT_KEY, OPT_AUDIT_PUB, OPT_CHECKPOINT,
    OPT_ACTOR, OPT_PERSON, OPT_ACTION, OPT_RESULT, OPT_CLIENT, OPT_FROM, OPT_TO, OPT_FORMAT, OPT_ROLE,
    OPT_WHAT, OPT_FOUND, OPT_TOLD, OPT_INCIDENT,
    OPT_SIGNED, OPT_VERSION, OPT_CERT, OPT_CERT_EXPIRES, OPT_ENDED, OPT_OLD_KEYS, OPT_OUT,
    OPT_TLS_CERT, OPT_TLS_KEY, OPT_PER_IP, OPT_CLIENT_LOCK, OPT_KIND, OPT_RATE_ADDRESS,
    OPT_RATE_ACCOUNT, OPT_AS_OF, OPT_INACTIVE_DAYS, OPT_NOTICE_DAYS, OPT_PROVISION_DAYS, OPT_RETENTION_HOURS,
    OPT_NOTICE_SINK, OPT_EXPORT_UNTIL, OPT_ERASE_AFTER, OPT_ITEMS, OPT_ITEM, OPT_STATUS, OPT_DATE, OPT_DOCUMENT,
    OPT_REASON, OPT_ID, OPT_APPROVER, OPT_SOURCE, OPT_WEB, OPT_WITNESS, OPT_RECORDS, OPT_STORE, OPT_COPY_FROM, OPT_COPY_TO, OPT_JWKS,
    OPT_REDIRECT_URIS, OPT_ORIGINS, OPT_PUBLIC_APP, OPT_SCOPES, OPT_JWKS_URL,
    OPT_INPUT, OPT_HIERARCHY, OPT_SENSITIVE, OPT_K, OPT_L, OPT_C, OPT_SUPPRESSION, OPT_METRIC, OPT_GS_FACTOR,
    OPT_SEPARATOR, OPT_SPEC, OPT_SET, OPT_TABLE, OPT_METHOD, OPT_PROVIDER_ID, OPT_PROVIDER_NAME,
    OPT_COUNT
};
/* A command's options, as a set of bits (BIT(OPT_…) | …). GCC's and
 * Clang's 128-bit integer keeps the sets plain constant expressions. */
typedef unsigned __int128 opt_mask;
_Static_assert(OPT_COUNT <= 128, "the option mask is full: widen it");

/* The one option a command may give many times (--hierarchy): each value. */
#define CLI_MANY_MAX 64

struct cli {
    const char *val[OPT_COUNT];
    const char *many[CLI_MANY_MAX];
    int n_many;
    int help;
};

/* Parses argv for the options `allowed` (a bitmask of 1 << opt_id).
 * Returns 0, or -1 after printing the problem. */
int cli_parse(int argc, char **argv, opt_mask allowed, struct cli *out);
void cli_usage(const char *command, const char *summary, opt_mask allowed);
/* The option's flag, without the dashes; whether a flag of that name exists. */
const char *cli_flag_name(enum opt_id id);
int cli_flag_exists(const char *name);
/* A whole number within [min, max], or -1 after printing why. */
long cli_number(const struct cli *c, enum opt_id id, long dflt, long min, long max);

#endif
