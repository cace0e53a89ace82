#include "cli/options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *flag, *env, *arg, *help;
    int many;   /* may be given many times (cli.many), never read from the environment */
} opts[OPT_COUNT] = {
    [OPT_DATA] = {"data", "PHR_DATA", "DIR", "data directory: the keys and, unless --store says otherwise, the store (phr.db)"},
    [OPT_STORE] = {"store", "PHR_STORE", "URL", "the store: a postgres:// URL, or a SQLite file (default DIR/phr.db)"},
    [OPT_COPY_FROM] = {"from", "PHR_COPY_FROM", "STORE", "the store to copy: a SQLite file or a postgres:// URL"},
    [OPT_COPY_TO] = {"to", "PHR_COPY_TO", "STORE", "where to copy it: an empty store (a new SQLite file or database)"},
    [OPT_KEY] = {"key", "PHR_MASTER_KEY", "FILE", "master key file (default DIR/master.key); keep it apart from backups of the store"},
    [OPT_LISTEN] = {"listen", "PHR_LISTEN", "IP:PORT", "address to serve on (default 127.0.0.1:8080)"},
    [OPT_THREADS] = {"threads", "PHR_THREADS", "N", "HTTP worker threads (default 2)"},
    [OPT_PUBLIC_URL] = {"public-url", "PHR_PUBLIC_URL", "URL", "base URL clients use, for absolute links (default from Host)"},
    [OPT_ALLOWED_HOSTS] = {"allowed-hosts", "PHR_ALLOWED_HOSTS", "H,...", "without --public-url: Host values answered besides the listen address"},
    [OPT_DEMO] = {"demo", "PHR_DEMO", NULL, "load the demo person and synthetic vitals if absent"},
    [OPT_LOG_LEVEL] = {"log-level", "PHR_LOG_LEVEL", "LEVEL", "debug, info, warn or error (default info)"},
    [OPT_SESSION_IDLE] = {"session-idle", "PHR_SESSION_IDLE_SECONDS", "SECONDS", "idle time after which a session ends (default 1800)"},
    [OPT_SESSION_MAX] = {"session-max", "PHR_SESSION_MAX_SECONDS", "SECONDS", "lifetime of a session (default 43200)"},
    [OPT_LOCK_AFTER] = {"login-lock-after", "PHR_LOGIN_LOCK_AFTER", "N", "failed logins that lock a login (default 5)"},
    [OPT_LOCK_SECONDS] = {"login-lock-seconds", "PHR_LOGIN_LOCK_SECONDS", "SECONDS", "how long a login stays locked (default 900)"},
    [OPT_LOGIN_DELAY] = {"login-delay-ms", "PHR_LOGIN_DELAY_MS", "MS", "wait after the first failure, doubling with each (default 1000; 0 off)"},
    [OPT_MAX_BODY] = {"max-body", "PHR_MAX_BODY", "BYTES", "largest FHIR request body (default 262144)"},
    [OPT_MANIFEST] = {"manifest", "PHR_POLICY_MANIFEST", "FILE", "policy manifest (policy.json); texts are read beside it"},
    [OPT_DRY_RUN] = {"dry-run", "PHR_DRY_RUN", NULL, "show what would change and change nothing"},
    [OPT_LOGIN] = {"login", "PHR_PERSON_LOGIN", "LOGIN", "the person, by their login"},
    [OPT_PURPOSE] = {"purpose", "PHR_PURPOSE", "CODE", "purpose of use, or * for every purpose (suspend, lift)"},
    [OPT_DECISION] = {"decision", "PHR_DECISION", "D", "grant, refuse or withdraw"},
    [OPT_CHANNEL] = {"channel", "PHR_CHANNEL", "C", "how the person asked: phone, mail or counter"},
    [OPT_BY] = {"by", "PHR_RECORDED_BY", "NAME", "who took the request (kept in the ledger)"},
    [OPT_NAME] = {"name", "PHR_RECIPIENT_NAME", "NAME", "the organisation's or group's name"},
    [OPT_ADDRESS] = {"address", "PHR_RECIPIENT_ADDRESS", "TEXT", "the organisation's address"},
    [OPT_COUNTRY] = {"country", "PHR_RECIPIENT_COUNTRY", "CC", "its country, ISO 3166 alpha-2 (JP, US, ...)"},
    [OPT_CONTACT] = {"contact", "PHR_RECIPIENT_CONTACT", "TEXT", "whom to contact there"},
    [OPT_GROUP] = {"group", "PHR_RECIPIENT_GROUP", "CODE", "recipient group code"},
    [OPT_RECIPIENT] = {"recipient", "PHR_RECIPIENT", "ID", "recipient id (as printed by 'phr recipient add')"},
    [OPT_AUDIT_KEY] = {"audit-key", "PHR_AUDIT_KEY", "FILE", "key that signs audit checkpoints (default DIR/audit.key); keep it apart from backups"},
    [OPT_AUDIT_PUB] = {"audit-pub", "PHR_AUDIT_PUB", "HEX", "trusted audit public key(s), comma-separated (default: from --audit-key)"},
    [OPT_ACTOR] = {"actor", "PHR_AUDIT_ACTOR", "ACTOR", "who acted: person:<id>, recipient:<id>, system:<name>, anonymous"},
    [OPT_PERSON] = {"person", "PHR_AUDIT_PERSON", "ID", "whose data: the person id"},
    [OPT_ACTION] = {"action", "PHR_AUDIT_ACTION", "ACTION", "record.read, consent.record, ... (see docs/audit.md)"},
    [OPT_RESULT] = {"result", "PHR_AUDIT_RESULT", "R", "allow or deny"},
    [OPT_CLIENT] = {"client", "PHR_AUDIT_CLIENT", "ADDR", "the client address"},
    [OPT_FROM] = {"from", "PHR_AUDIT_FROM", "TIME", "from this time (2026-11-24, 2026-11-24T09:00+09:00)"},
    [OPT_TO] = {"to", "PHR_AUDIT_TO", "TIME", "up to the end of this time"},
    [OPT_FORMAT] = {"format", "PHR_AUDIT_FORMAT", "F", "text (default) or jsonl"},
    [OPT_ROLE] = {"role", "PHR_STAFF_ROLE", "ROLE", "security-officer, asset-manager, handler or auditor"},
    [OPT_WHAT] = {"what", "PHR_INCIDENT_WHAT", "TEXT", "what happened (no health values)"},
    [OPT_FOUND] = {"found", "PHR_INCIDENT_FOUND", "TIME", "when it was found (2026-11-24T10:30+09:00)"},
    [OPT_TOLD] = {"told", "PHR_INCIDENT_TOLD", "TEXT", "who was told, and when"},
    [OPT_INCIDENT] = {"incident", "PHR_INCIDENT", "ID", "the incident a note adds to"},
    [OPT_SIGNED] = {"signed", "PHR_AGREEMENT_SIGNED", "DATE", "the date the agreement was signed"},
    [OPT_VERSION] = {"agreement-version", "PHR_AGREEMENT_VERSION", "V", "the agreement's version or number"},
    [OPT_CERT] = {"certification", "PHR_CERTIFICATION", "NAME", "ISMS, Pマーク, ... held by the organisation"},
    [OPT_CERT_EXPIRES] = {"cert-expires", "PHR_CERT_EXPIRES", "DATE", "when that certification expires"},
    [OPT_ENDED] = {"ended", "PHR_AGREEMENT_ENDED", NULL, "the agreement was terminated: provide nothing more"},
    [OPT_OLD_KEYS] = {"old-keys", "PHR_OLD_MASTER_KEYS", "FILE,...", "master keys being rotated away from: still opened, never used to wrap"},
    [OPT_OUT] = {"out", "PHR_KEY_OUT", "FILE", "where to write the new key (mode 0600; never overwritten)"},
    [OPT_TLS_CERT] = {"tls-cert", "PHR_TLS_CERT", "FILE", "PEM certificate (chain): serve HTTPS yourself (else use a reverse proxy)"},
    [OPT_TLS_KEY] = {"tls-key", "PHR_TLS_KEY", "FILE", "its PEM private key; mode 0600"},
    [OPT_PER_IP] = {"per-ip-connections", "PHR_PER_IP_CONNECTIONS", "N", "connections one client address may hold (default 256)"},
    [OPT_CLIENT_LOCK] = {"client-lock-after", "PHR_CLIENT_LOCK_AFTER", "N", "failed sign-ins from one client address, any login, that lock it out (default 30)"},
    [OPT_KIND] = {"kind", "PHR_ORG_KIND", "KIND", "recipient (default), processor (委託先) or partner"},
    [OPT_REDIRECT_URIS] = {"redirect-uris", "PHR_REDIRECT_URIS", "URIS", "an app's redirect URIs, space-separated, each matched exactly"},
    [OPT_ORIGINS] = {"origins", "PHR_APP_ORIGINS", "ORIGINS", "web origins an app may call from (CORS), space-separated"},
    [OPT_PUBLIC_APP] = {"public", "PHR_APP_PUBLIC", NULL, "a public app (in a browser or on a phone): no secret, PKCE only"},
    [OPT_SCOPES] = {"scopes", "PHR_APP_SCOPES", "SCOPES", "the SMART scopes an app may be granted, space-separated (default: reading)"},
    [OPT_JWKS_URL] = {"jwks-url", "PHR_JWKS_URL", "URL", "where a client publishes its public keys (a JWKS), instead of --jwks"},
    [OPT_INPUT] = {"input", "PHR_ANON_INPUT", "FILE", "the table to anonymise: ';'-separated, a header row first (ARX's format)"},
    [OPT_HIERARCHY] = {"hierarchy", NULL, "ATTR=FILE", "a quasi-identifier and its hierarchy file (ARX's format); once per quasi-identifier", 1},
    [OPT_SENSITIVE] = {"sensitive", "PHR_ANON_SENSITIVE", "ATTR", "the sensitive column, for l-diversity"},
    [OPT_K] = {"k", "PHR_ANON_K", "K", "k-anonymity: every group at least K rows (default 2)"},
    [OPT_L] = {"l", "PHR_ANON_L", "L", "l-diversity of the sensitive column: at least L distinct values per group"},
    [OPT_C] = {"c", "PHR_ANON_C", "C", "with --l: recursive (c,l)-diversity instead of distinct"},
    [OPT_SUPPRESSION] = {"suppression", "PHR_ANON_SUPPRESSION", "SHARE", "the share of rows that may be suppressed, 0 to under 1 (default 0)"},
    [OPT_METRIC] = {"metric", "PHR_ANON_METRIC", "M", "information loss: entropy (non-uniform, default) or discernibility"},
    [OPT_GS_FACTOR] = {"gs-factor", "PHR_ANON_GS_FACTOR", "F", "ARX's generalisation/suppression factor, 0 to 1 (default 0.5)"},
    [OPT_SPEC] = {"spec", "PHR_ANON_SPEC", "FILE", "what an anonymised data set holds (JSON; docs/anonymisation.md)"},
    [OPT_SET] = {"set", "PHR_ANON_SET", "NAME", "an anonymised data set, by its name"},
    [OPT_TABLE] = {"table", "PHR_ANON_TABLE", "FILE", "the data set's table as run wrote it (checked to be the one recorded)"},
    [OPT_PROVIDER_ID] = {"provider-id", "PHR_PROVIDER_ID", "ID", "the provider's short id, naming the folder of its SPHR packages (default phr)"},
    [OPT_PROVIDER_NAME] = {"provider-name", "PHR_PROVIDER_NAME", "NAME", "the provider's name, the author of its SPHR packages (default \"PHR service\")"},
    [OPT_METHOD] = {"method", "PHR_ANON_METHOD", "TEXT", "how the data set is provided (published with it)"},
    [OPT_SEPARATOR] = {"separator", "PHR_ANON_SEPARATOR", "CHAR", "the files' field separator (default ;)"},
    [OPT_JWKS] = {"jwks", "PHR_JWKS", "FILE", "a client's public keys as a JWKS file (RFC 7517), or none to remove them"},
    [OPT_RATE_ADDRESS] = {"rate-per-address", "PHR_RATE_PER_ADDRESS", "N", "requests a minute from one client address (default 6000; 0 no limit)"},
    [OPT_RATE_ACCOUNT] = {"rate-per-account", "PHR_RATE_PER_ACCOUNT", "N", "requests a minute by one signed-in account (default 1200; 0 no limit)"},
    [OPT_AS_OF] = {"as-of", "PHR_RETENTION_AS_OF", "TIME", "apply the rules as of this time instead of now (tests, planning)"},
    [OPT_INACTIVE_DAYS] = {"inactive-days", "PHR_INACTIVE_DAYS", "DAYS", "tell a person not signed in for this long, then erase (default 1826, 5 years; 0 never)"},
    [OPT_NOTICE_DAYS] = {"notice-days", "PHR_NOTICE_DAYS", "DAYS", "days between that notice and the erasure (default 90)"},
    [OPT_PROVISION_DAYS] = {"provision-days", "PHR_PROVISION_DAYS", "DAYS", "keep provision records this long (default 1095, 3 years)"},
    [OPT_RETENTION_HOURS] = {"retention-hours", "PHR_RETENTION_HOURS", "HOURS", "serve applies retention this often (default 24; 0: only 'phr retention run')"},
    [OPT_NOTICE_SINK] = {"notice-sink", "PHR_NOTICE_SINK", "SINK", "where notices to persons go: log (default) or file:PATH (JSON lines, for a mailer)"},
    [OPT_EXPORT_UNTIL] = {"export-until", "PHR_EXPORT_UNTIL", "DATE", "persons may export their data until this date"},
    [OPT_ERASE_AFTER] = {"erase-after", "PHR_ERASE_AFTER", "DATE", "after this date retention erases every account"},
    [OPT_ITEMS] = {"items", "PHR_CHECKSHEET_ITEMS", "FILE", "the checksheet's items file (checksheet/items.json)"},
    [OPT_ITEM] = {"item", "PHR_CHECKSHEET_ITEM", "ID", "the checksheet item answered"},
    [OPT_STATUS] = {"status", "PHR_CHECKSHEET_STATUS", "STATUS", "implemented, equivalent, not-implemented or not-applicable"},
    [OPT_DATE] = {"date", "PHR_CHECKSHEET_DATE", "DATE", "the date the answer was established (the review, the audit, the certificate)"},
    [OPT_DOCUMENT] = {"document", "PHR_CHECKSHEET_DOCUMENT", "REF", "the document that shows it (rules v3, audit report 2026-10)"},
    [OPT_REASON] = {"reason", "PHR_CHECKSHEET_REASON", "TEXT", "why it is not implemented (required then)"},
    [OPT_ID] = {"id", "PHR_CHECKSHEET_ID", "N", "the assessment's number"},
    [OPT_APPROVER] = {"approver", "PHR_CHECKSHEET_APPROVER", "NAME", "the security officer who answers or approves"},
    [OPT_SOURCE] = {"source", "PHR_IMPORT_SOURCE", "SOURCE", "where the file came from: insurer, medical-institution, mynaportal (default: insurer for checkups, medical-institution for お薬手帳)"},
    [OPT_WEB] = {"web", "PHR_WEB", "DIR", "the portal's files (default: web/ of the source tree this binary was built from)"},
    [OPT_WITNESS] = {"witness", "PHR_AUDIT_WITNESS", "FILE", "append-only file outside the database where every signed checkpoint is also written (verify: held against the store)"},
    [OPT_RECORDS] = {"records", "PHR_VERIFY_RECORDS", NULL, "verify: also hold every record version against the digest its write's entry names"},
    [OPT_CHECKPOINT] = {"checkpoint-seconds", "PHR_CHECKPOINT_SECONDS", "SECONDS", "sign the audit chain head this often (default 60; 0: only at shutdown)"},
};

int cli_parse(int argc, char **argv, opt_mask allowed, struct cli *out)
{
    struct option lo[OPT_COUNT + 2];
    int n = 0;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < OPT_COUNT; i++) {
        if (!(allowed & ((opt_mask)1 << i)))
            continue;
        lo[n].name = opts[i].flag;
        lo[n].has_arg = opts[i].arg ? required_argument : no_argument;
        lo[n].flag = NULL;
        lo[n].val = 1000 + i;
        n++;
        const char *e = opts[i].env ? getenv(opts[i].env) : NULL;
        if (e && *e)
            out->val[i] = e;
    }
    lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n] = (struct option){NULL, 0, NULL, 0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
        if (c == 'h') {
            out->help = 1;
        } else if (c >= 1000 && c < 1000 + OPT_COUNT && opts[c - 1000].many) {
            if (out->n_many == CLI_MANY_MAX) {
                fprintf(stderr, "phr: --%s given more than %d times\n", opts[c - 1000].flag, CLI_MANY_MAX);
                return -1;
            }
            out->val[c - 1000] = out->many[out->n_many++] = optarg;
        } else if (c >= 1000 && c < 1000 + OPT_COUNT) {
            out->val[c - 1000] = opts[c - 1000].arg ? optarg : "1";
        } else {
            fprintf(stderr, "phr: unknown or incomplete option '%s' (see --help)\n", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "phr: unexpected argument '%s' (see --help)\n", argv[optind]);
        return -1;
    }
    return 0;
}

void cli_usage(const char *command, const char *summary, opt_mask allowed)
{
    printf("usage: phr %s [options]\n\n%s\n\noptions (each also read from its environment variable):\n", command, summary);
    for (int i = 0; i < OPT_COUNT; i++) {
        if (!(allowed & ((opt_mask)1 << i)))
            continue;
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opts[i].flag, opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
        printf("  %-28s %s\n  %-28s [%s]\n", left, opts[i].help, "", opts[i].env ? opts[i].env : "may be given many times");
    }
}

long cli_number(const struct cli *c, enum opt_id id, long dflt, long min, long max)
{
    const char *v = c->val[id];
    if (!v)
        return dflt;
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end || n < min || n > max) {
        fprintf(stderr, "phr: --%s (%s) must be a whole number from %ld to %ld, not '%s'\n", opts[id].flag,
                opts[id].env, min, max, v);
        return -1;
    }
    return n;
}

const char *cli_flag_name(enum opt_id id)
{
    return opts[id].flag;
}

int cli_flag_exists(const char *name)
{
    for (int i = 0; i < OPT_COUNT; i++)
        if (!strcmp(opts[i].flag, name))
            return 1;
    return 0;
}
