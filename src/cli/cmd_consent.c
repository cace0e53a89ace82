/* The operator's commands for policies, consent and recipients:
 *   phr policy publish --manifest FILE [--dry-run]
 *   phr consent show   --login L
 *   phr consent record --login L --purpose P --decision D --channel C --by NAME
 *   phr consent suspend|lift --login L --purpose P|'*' --channel C --by NAME
 *   phr recipient add [--kind recipient|processor|partner] --name N --address A --country CC --contact C
 *   phr recipient list
 *   phr recipient group --group CODE --name N
 *   phr recipient join|leave --group CODE --recipient ID
 *   phr recipient agreement --recipient ID --signed DATE --agreement-version V
 *                           [--certification C --cert-expires DATE] [--ended]
 * They call the same service functions as the HTTP API, as the operator
 * (a system actor), and each is in the handling history. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "formats/fhirtime.h"
#include "util/err.h"

#define MANIFEST_MAX (256 * 1024)

static int load_manifest(const char *path, struct policy_set *set)
{
    size_t len;
    char *json = read_small_file(path, MANIFEST_MAX, &len);
    if (!json)
        return -1;
    struct fault fault;
    int rc = policy_parse(json, len, POLICY_TEXTS_IN_FILES, set, &fault);
    free(json);
    if (rc) {
        cli_fault(&fault, "phr policy publish: %s", path);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 1;
    const char *dir = slash ? path : ".";
    for (size_t i = 0; i < set->ndocs; i++) {
        struct buf p;
        buf_init(&p);
        if (buf_printf(&p, "%.*s/%s", dirlen, dir, set->docs[i].file)) {
            buf_free(&p);
            return -1;
        }
        set->docs[i].body = read_small_file(p.data, POLICY_TEXT_MAX, &set->docs[i].body_len);
        buf_free(&p);
        if (!set->docs[i].body)
            return -1;
    }
    return 0;
}

#define PUBLISH_OPTS (STORE_OPTS | BIT(OPT_MANIFEST) | BIT(OPT_DRY_RUN))

int cmd_policy(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct policy_set set = {0};
    struct service *svc = NULL;
    int rc = 1;
    if (argc < 2 || strcmp(argv[1], "publish") != 0) {
        fprintf(stderr, "usage: phr policy publish --data DIR --manifest FILE [--dry-run]\n");
        return 2;
    }
    int started;
    if (cli_start(argc - 1, argv + 1, "policy publish",
                  "Publishes the terms of service, their summary, the privacy policy and the purposes\n"
                  "of use listed in a manifest (see policies/policy.json). Only what changed gets a new\n"
                  "version. A changed purpose must be marked \"change\": \"material\" (everyone must\n"
                  "consent again before further use) or \"minor\" (consent carries over; persons are\n"
                  "told). All of it is published, or nothing.",
                  PUBLISH_OPTS, &c, &started))
        return started;
    if (!c.val[OPT_MANIFEST]) {
        fprintf(stderr, "phr policy publish: --manifest FILE is required\n");
        return 2;
    }
    if (paths_for(&c, &p))
        goto out;
    if (load_manifest(c.val[OPT_MANIFEST], &set) || open_service(&c, &p, &svc) != PHR_OK)
        goto out;
    struct actor a = operator_actor("operator");
    struct op *op;
    struct fault fault;
    if (policy_publish(svc, &a, &set, c.val[OPT_DRY_RUN] != NULL, &op, &fault) != 0) {
        cli_fault(&fault, "phr policy publish");
        goto out;
    }
    rc = run_op(svc, op, "policy publish");
out:
    service_close(svc);
    policy_free(&set);
    paths_free(&p);
    return rc;
}

#define CONSENT_OPTS (STORE_OPTS | BIT(OPT_LOGIN) | BIT(OPT_PURPOSE) | BIT(OPT_DECISION) | BIT(OPT_CHANNEL) | BIT(OPT_BY))

static int check_request_opts(const struct cli *c, int needs_decision)
{
    const char *ch = c->val[OPT_CHANNEL];
    if (!c->val[OPT_PURPOSE] || (needs_decision && !c->val[OPT_DECISION]) || !ch || !c->val[OPT_BY]) {
        fprintf(stderr, "phr consent: --purpose,%s --channel and --by are required\n",
                needs_decision ? " --decision," : "");
        return -1;
    }
    if (strcmp(ch, "phone") && strcmp(ch, "mail") && strcmp(ch, "counter")) {
        fprintf(stderr, "phr consent: --channel must be phone, mail or counter\n");
        return -1;
    }
    if (strlen(c->val[OPT_BY]) > 48) {
        fprintf(stderr, "phr consent: --by is at most 48 bytes\n");
        return -1;
    }
    return 0;
}

static int consent_op(struct service *svc, const struct cli *c, const char *sub, const char *person, struct op **op)
{
    struct actor a = operator_actor("operator");
    struct fault fault;
    char by[64];
    snprintf(by, sizeof by, "operator:%s", c->val[OPT_BY] ? c->val[OPT_BY] : "");
    int rc;
    if (!strcmp(sub, "show")) {
        rc = consent_read(svc, &a, person, 0, NULL, op, &fault);
    } else if (!strcmp(sub, "record")) {
        struct consent_request req = {0};
        size_t n = strlen(c->val[OPT_PURPOSE]), m = strlen(c->val[OPT_DECISION]);
        if (n >= sizeof req.decisions[0].purpose || m >= sizeof req.decisions[0].decision) {
            fprintf(stderr, "phr consent: --purpose or --decision is too long\n");
            return -1;
        }
        memcpy(req.decisions[0].purpose, c->val[OPT_PURPOSE], n + 1);
        memcpy(req.decisions[0].decision, c->val[OPT_DECISION], m + 1);
        req.ndecisions = 1;
        /* Outside the service the operator presented the texts in force
         * (read out, mailed, handed over); the ledger names them. */
        if (policy_current_hashes(svc, req.shown, CONSENT_MAX_SHOWN, &req.nshown) != PHR_OK) {
            fprintf(stderr, "phr consent: the policies in force could not be read\n");
            return -1;
        }
        if (!purpose_code_valid(req.decisions[0].purpose) ||
            (strcmp(req.decisions[0].decision, "grant") && strcmp(req.decisions[0].decision, "refuse") &&
             strcmp(req.decisions[0].decision, "withdraw"))) {
            fprintf(stderr, "phr consent: --purpose must be a purpose code and --decision grant, refuse or withdraw\n");
            return -1;
        }
        rc = consent_record(svc, &a, person, &req, c->val[OPT_CHANNEL], by, op, &fault);
    } else {
        rc = use_suspend(svc, &a, person, c->val[OPT_PURPOSE], !strcmp(sub, "lift"), c->val[OPT_CHANNEL], by, op,
                         &fault);
    }
    if (rc)
        cli_fault(&fault, "phr consent %s", sub);
    return rc;
}

int cmd_consent(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    int rc = 1;
    const char *sub = argc >= 2 ? argv[1] : "";
    if (strcmp(sub, "show") && strcmp(sub, "record") && strcmp(sub, "suspend") && strcmp(sub, "lift")) {
        fprintf(stderr, "usage: phr consent show|record|suspend|lift --data DIR --login LOGIN [options]\n");
        return 2;
    }
    int started;
    if (cli_start(argc - 1, argv + 1, "consent show|record|suspend|lift",
                  "show: a person's purposes, decisions and suspensions, with dates, to answer an inquiry.\n"
                  "record: a decision the person made by phone, mail or at a counter (--purpose,\n"
                  "  --decision, --channel, --by); the texts in force are recorded as presented.\n"
                  "suspend / lift: stop or resume use of the person's data for --purpose ('*': all).\n"
                  "Every command is recorded in the handling history.",
                  CONSENT_OPTS, &c, &started))
        return started;
    if (!c.val[OPT_LOGIN]) {
        fprintf(stderr, "phr consent: --login is required\n");
        return 2;
    }
    if (strcmp(sub, "show") && check_request_opts(&c, !strcmp(sub, "record")))
        return 2;
    if (cli_service(&c, &p, &svc))
        goto out;
    char person[ID_LEN + 1];
    int err = accounts_person_id(svc, c.val[OPT_LOGIN], person);
    if (err) {
        fprintf(stderr, "phr consent: %s\n", err == PHR_ENOTFOUND ? "no person has this login" : phr_strerror(err));
        goto out;
    }
    struct op *op;
    if (consent_op(svc, &c, sub, person, &op) == 0)
        rc = run_op(svc, op, sub);
out:
    service_close(svc);
    paths_free(&p);
    return rc;
}

#define RECIPIENT_OPTS                                                                                       \
    (STORE_OPTS | BIT(OPT_NAME) | BIT(OPT_ADDRESS) | BIT(OPT_COUNTRY) | BIT(OPT_CONTACT) | BIT(OPT_GROUP) |   \
     BIT(OPT_RECIPIENT) | BIT(OPT_SIGNED) | BIT(OPT_VERSION) | BIT(OPT_CERT) | BIT(OPT_CERT_EXPIRES) |       \
     BIT(OPT_ENDED) | BIT(OPT_KIND) | BIT(OPT_JWKS) | BIT(OPT_REDIRECT_URIS) | BIT(OPT_ORIGINS) |             \
     BIT(OPT_PUBLIC_APP) | BIT(OPT_SCOPES) | BIT(OPT_JWKS_URL))

int cmd_recipient(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    int rc = 1;
    const char *sub = argc >= 2 ? argv[1] : "";
    if (strcmp(sub, "add") && strcmp(sub, "group") && strcmp(sub, "join") && strcmp(sub, "leave") &&
        strcmp(sub, "agreement") && strcmp(sub, "list") && strcmp(sub, "keys") && strcmp(sub, "app") && strcmp(sub, "scopes")) {
        fprintf(stderr, "usage: phr recipient add|list|group|join|leave|agreement|keys|scopes|app --data DIR [options]\n");
        return 2;
    }
    int started;
    if (cli_start(argc - 1, argv + 1, "recipient add|list|group|join|leave|agreement|keys|scopes|app",
                  "add: an outside organisation (--name, --address, --country, --contact): a recipient\n"
                  "  of provision (prints its client id and secret, once: hand them over securely), a\n"
                  "  processor (委託先) or a partner (--kind).\n"
                  "list: the registry, each organisation with its newest agreement and certification.\n"
                  "group: a recipient group (--group, --name) that a purpose of use can name.\n"
                  "join / leave: change a group's membership (--group, --recipient). A member added to a\n"
                  "  group is covered by consents that name the group; a recipient abroad only by\n"
                  "  consents that name its country.\n"
                  "agreement: the agreement with a recipient (--recipient, --signed, --agreement-version,\n"
                  "  optionally --certification and --cert-expires; --ended when terminated). Nothing\n"
                  "  is provided to a recipient without an agreement in force.\n"
                  "keys: the public keys (--jwks FILE, a JWKS) the recipient's system signs its token\n"
                  "  requests with (SMART Backend Services), or --jwks-url where it publishes them (fetched\n"
                  "  at each token request); --jwks none removes them.\n"
                  "scopes: the system scopes (--scopes) its system may be granted; --scopes none: reading\n"
                  "  every type (system/*.rs), the default.\n"
                  "app: the recipient's app, which persons approve in the portal (SMART App Launch):\n"
                  "  --redirect-uris, --origins (web origins allowed to call from a browser), --public\n"
                  "  for an app with no secret (PKCE only), --scopes it may be granted (default: reading,\n"
                  "  launch/patient offline_access patient/*.rs). Data reaches it under the purposes naming a\n"
                  "  group it belongs to: give each app a group and a purpose of its own.\n"
                  "Every change is in the handling history.",
                  RECIPIENT_OPTS, &c, &started))
        return started;
    if (cli_service(&c, &p, &svc))
        goto out;
    struct actor a = operator_actor("operator");
    struct op *op;
    struct fault fault;
    int made;
    if (!strcmp(sub, "list")) {
        struct buf b;
        buf_init(&b);
        if (recipient_list(svc, &a, &b, &fault) == 0) {
            printf("%s\n", buf_cstr(&b));
            rc = 0;
        } else {
            cli_fault(&fault, "phr recipient list");
        }
        buf_free(&b);
        goto out;
    }
    int64_t signed_on = date_option(&c, OPT_SIGNED), expires = date_option(&c, OPT_CERT_EXPIRES);
    if (signed_on < 0 || expires < 0)
        goto out;
    if (!strcmp(sub, "scopes")) {
        const char *scopes = c.val[OPT_SCOPES];
        if (!scopes) {
            fprintf(stderr, "phr recipient scopes: --scopes is required (or none)\n");
            goto out;
        }
        made = recipient_scopes(svc, &a, c.val[OPT_RECIPIENT], strcmp(scopes, "none") ? scopes : NULL, &op, &fault);
    } else if (!strcmp(sub, "app")) {
        made = app_register(svc, &a, c.val[OPT_RECIPIENT], c.val[OPT_PUBLIC_APP] != NULL, c.val[OPT_REDIRECT_URIS],
                            c.val[OPT_ORIGINS], c.val[OPT_SCOPES], &op, &fault);
    } else if (!strcmp(sub, "keys")) {
        const char *file = c.val[OPT_JWKS], *url = c.val[OPT_JWKS_URL];
        size_t len;
        char *jwks = file && strcmp(file, "none") ? read_small_file(file, 64 * 1024, &len) : NULL;
        if (file && strcmp(file, "none") && !jwks)
            goto out;
        made = recipient_keys(svc, &a, c.val[OPT_RECIPIENT], file ? jwks : url ? NULL : "", url, &op, &fault);
        free(jwks);
    } else if (!strcmp(sub, "agreement"))
        made = recipient_agreement(svc, &a, c.val[OPT_RECIPIENT], signed_on, c.val[OPT_VERSION], c.val[OPT_CERT],
                                   expires, c.val[OPT_ENDED] != NULL, &op, &fault);
    else if (!strcmp(sub, "add"))
        made = recipient_add(svc, &a, c.val[OPT_KIND], c.val[OPT_NAME], c.val[OPT_ADDRESS], c.val[OPT_COUNTRY],
                             c.val[OPT_CONTACT], &op, &fault);
    else if (!strcmp(sub, "group"))
        made = recipient_group_add(svc, &a, c.val[OPT_GROUP], c.val[OPT_NAME], &op, &fault);
    else
        made =
            recipient_group_change(svc, &a, c.val[OPT_GROUP], c.val[OPT_RECIPIENT], !strcmp(sub, "leave"), &op, &fault);
    if (made != 0) {
        cli_fault(&fault, "phr recipient %s", sub);
        goto out;
    }
    rc = run_op(svc, op, sub);
out:
    service_close(svc);
    paths_free(&p);
    return rc;
}
