/* Consent: the gate's decision table (exhaustive over actor, action, whose
 * data and the consent facts), the store's ledger and derived state, and
 * the parsing of manifests and consent requests. R3.2, R3.3, R3.5, R3.6,
 * R3.9. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "access/gate.h"
#include "formats/policy.h"
#include "helpers.h"
#include "store/store.h"
#include "util/err.h"

#define ME "00000000-0000-4000-8000-000000000001"
#define OTHER "00000000-0000-4000-8000-000000000002"
#define NOW 1800000000000LL

/* --- the decision table --- */

static enum decision expected(enum actor_kind k, enum action act, int own, const struct gate_facts *f,
                              enum use_refusal *why)
{
    *why = USE_OK;
    if (k == ACTOR_ANONYMOUS)
        return GATE_DENY;
    if (k == ACTOR_RECIPIENT) {
        if (act != ACT_RECORD_READ && act != ACT_RECORD_SEARCH)
            return GATE_DENY;
        /* Every kind concerned covered: vital signs never carry checkup results. */
        int covered = (f->wanted & ~f->scope.kinds) == 0;
        if (!covered)
            *why = USE_NO_PROVISION;
        return covered ? GATE_ALLOW : GATE_DENY;
    }
    if (k == ACTOR_PERSON && !own)
        return GATE_DENY;
    if (k == ACTOR_SYSTEM && act != ACT_RECORD_CREATE)
        return GATE_DENY;
    if (act != ACT_RECORD_CREATE)
        return GATE_ALLOW; /* the person's own reading and correcting: their rights */
    if (f->consent.required_in_force == 0)
        *why = USE_NO_POLICY;
    else if (f->consent.missing[0])
        *why = USE_NO_CONSENT;
    else if (f->consent.suspended_all)
        *why = USE_SUSPENDED;
    return *why == USE_OK ? GATE_ALLOW : GATE_DENY;
}

/* Every actor kind, record action, own or someone else's data, policy in
 * force or not, required consent missing or not, suspended or not, a
 * provision basis for vital signs found or not, and checkup results among
 * what is asked for or not (R3.4, R3.6). */
static void decision_table(void **state)
{
    (void)state;
    enum actor_kind kinds[] = {ACTOR_ANONYMOUS, ACTOR_PERSON, ACTOR_SYSTEM, ACTOR_RECIPIENT};
    enum action acts[] = {ACT_RECORD_CREATE, ACT_RECORD_READ, ACT_RECORD_SEARCH, ACT_RECORD_UPDATE,
                          ACT_RECORD_HISTORY};
    int cases = 0;
    for (int bits = 0; bits < 4 * 5 * 64; bits++) {
        size_t k = (size_t)bits / 320, a = (size_t)(bits / 64) % 5;
        int own = bits & 1, in_force = (bits >> 1) & 1, missing = (bits >> 2) & 1, suspended = (bits >> 3) & 1,
            basis = (bits >> 4) & 1, checkup = (bits >> 5) & 1;
        struct actor actor = {.kind = kinds[k]};
        snprintf(actor.id, sizeof actor.id, "%s", kinds[k] == ACTOR_SYSTEM ? "loader" : ME);
        struct gate_facts f;
        memset(&f, 0, sizeof f);
        f.consent.required_in_force = in_force;
        f.consent.suspended_all = suspended;
        snprintf(f.consent.missing, sizeof f.consent.missing, "%s", missing ? "service" : "");
        f.scope.kinds = basis ? DATA_KINDS_VITALS : 0;
        f.wanted = DATA_KIND_BIT(DK_BLOOD_PRESSURE) | (checkup ? DATA_KIND_BIT(DK_CHECKUP) : 0);
        enum use_refusal want_why, why = USE_OK;
        enum decision want = expected(kinds[k], acts[a], own, &f, &want_why);
        enum decision got = gate_decide(&actor, acts[a], own ? ME : OTHER);
        if (got == GATE_ALLOW)
            got = gate_decide_use(&actor, acts[a], &f, &why);
        if (got != want || why != want_why)
            fail_msg("kind %d act %d own %d in_force %d missing %d suspended %d basis %d checkup %d: "
                     "got %d (why %d), want %d (why %d)",
                     (int)kinds[k], (int)acts[a], own, in_force, missing, suspended, basis, checkup, got, (int)why,
                     want, (int)want_why);
        cases++;
    }
    assert_int_equal(cases, 4 * 5 * 2 * 2 * 2 * 2 * 2 * 2);
}

static void consent_actions(void **state)
{
    (void)state;
    struct actor person = {.kind = ACTOR_PERSON}, sys = {.kind = ACTOR_SYSTEM}, anon = {.kind = ACTOR_ANONYMOUS};
    snprintf(person.id, sizeof person.id, ME);
    enum action acts[] = {ACT_CONSENT_RECORD, ACT_CONSENT_READ, ACT_USE_SUSPEND, ACT_USE_LIFT};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(gate_decide(&person, acts[i], ME), GATE_ALLOW);
        assert_int_equal(gate_decide(&person, acts[i], OTHER), GATE_DENY);
        assert_int_equal(gate_decide(&person, acts[i], NULL), GATE_DENY);
        assert_int_equal(gate_decide(&sys, acts[i], OTHER), GATE_ALLOW);
        assert_int_equal(gate_decide(&anon, acts[i], ME), GATE_DENY);
    }
    assert_int_equal(gate_decide(&person, ACT_POLICY_PUBLISH, NULL), GATE_DENY);
    assert_int_equal(gate_decide(&anon, ACT_POLICY_PUBLISH, NULL), GATE_DENY);
    assert_int_equal(gate_decide(&sys, ACT_POLICY_PUBLISH, NULL), GATE_ALLOW);
    /* Only the information-asset manager among staff publishes and names
     * outside organisations; keys stay with the operator. */
    const char *roles[] = {ROLE_HANDLER, ROLE_AUDITOR, ROLE_SECURITY_OFFICER, ROLE_ASSET_MANAGER};
    for (size_t i = 0; i < 4; i++) {
        struct actor staff = {.kind = ACTOR_STAFF};
        snprintf(staff.id, sizeof staff.id, "s1");
        snprintf(staff.role, sizeof staff.role, "%s", roles[i]);
        enum decision want = strcmp(roles[i], ROLE_ASSET_MANAGER) == 0 ? GATE_ALLOW : GATE_DENY;
        assert_int_equal(gate_decide(&staff, ACT_POLICY_PUBLISH, NULL), want);
        assert_int_equal(gate_decide(&staff, ACT_RECIPIENT_MANAGE, NULL), want);
        assert_int_equal(gate_decide(&staff, ACT_KEYS_ROTATE, NULL), GATE_DENY);
    }
}

/* Every action has a name and a rule: one without a rule would be refused
 * to everyone (the table is default deny), so each is allowed to someone. */
static void every_action_has_a_name_and_a_rule(void **state)
{
    (void)state;
    enum actor_kind kinds[] = {ACTOR_ANONYMOUS, ACTOR_PERSON, ACTOR_SYSTEM, ACTOR_RECIPIENT, ACTOR_STAFF};
    const char *roles[] = {ROLE_HANDLER, ROLE_AUDITOR, ROLE_SECURITY_OFFICER, ROLE_ASSET_MANAGER};
    for (int act = 0; act < ACT_COUNT; act++) {
        assert_string_not_equal(gate_action_name((enum action)act), "unknown");
        int allowed = 0;
        for (size_t k = 0; k < 5; k++)
            for (size_t r = 0; r < 4; r++) {
                struct actor a = {.kind = kinds[k]};
                snprintf(a.id, sizeof a.id, ME);
                snprintf(a.role, sizeof a.role, "%s", roles[r]);
                allowed |= gate_decide(&a, (enum action)act, ME) == GATE_ALLOW;
            }
        if (!allowed)
            fail_msg("action %s is allowed to no one", gate_action_name((enum action)act));
    }
    struct actor a = {.kind = ACTOR_PERSON};
    assert_string_equal(gate_action_name(ACT_COUNT), "unknown");
    assert_int_equal(gate_decide(&a, ACT_COUNT, ME), GATE_DENY);
    struct actor nobody = {.kind = ACTOR_STAFF};
    snprintf(nobody.role, sizeof nobody.role, "janitor");
    assert_int_equal(gate_decide(&nobody, ACT_AUDIT_READ, NULL), GATE_DENY);
}

/* --- the store: ledger, derived state, facts --- */

static void purpose(struct store *st, const char *code, int version, int required, const char *change)
{
    struct purpose_row p = {.code = code, .version = version, .required = required, .title_ja = "t",
                            .description_ja = "d", .change = change, .published_at = 1};
    assert_int_equal(store_purpose_insert(st, &p), PHR_OK);
}

static int decide(struct store *st, const char *person, const char *code, int version, const char *decision)
{
    struct consent_row c = {.person_id = person, .purpose = code, .purpose_version = version, .decision = decision,
                            .at = 5, .channel = "api", .recorded_by = "person", .documents = ""};
    return store_consent_append(st, &c);
}

static struct consent_facts facts(struct store *st, const char *person)
{
    struct consent_facts f;
    assert_int_equal(store_consent_facts(st, person, &f), PHR_OK);
    return f;
}

static void facts_follow_the_ledger(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    struct consent_facts f = facts(st, ME);
    assert_int_equal(f.required_in_force, 0);
    purpose(st, "service", 1, 1, "initial");
    purpose(st, "ai", 1, 0, "initial");
    f = facts(st, ME);
    assert_int_equal(f.required_in_force, 1);
    assert_string_equal(f.missing, "service");
    assert_int_equal(decide(st, ME, "ai", 1, "grant"), PHR_OK);
    assert_string_equal(facts(st, ME).missing, "service");
    assert_int_equal(decide(st, ME, "service", 1, "grant"), PHR_OK);
    assert_string_equal(facts(st, ME).missing, "");
    assert_string_equal(facts(st, OTHER).missing, "service");
    /* A minor change carries the grant over; a material one does not. */
    purpose(st, "service", 2, 1, "minor");
    assert_string_equal(facts(st, ME).missing, "");
    purpose(st, "service", 3, 1, "material");
    assert_string_equal(facts(st, ME).missing, "service");
    assert_int_equal(decide(st, ME, "service", 3, "grant"), PHR_OK);
    assert_string_equal(facts(st, ME).missing, "");
    /* Withdrawal: the latest entry decides. */
    assert_int_equal(decide(st, ME, "service", 3, "withdraw"), PHR_OK);
    assert_string_equal(facts(st, ME).missing, "service");
    /* A retired required purpose is no longer in force. */
    purpose(st, "service", 4, 1, "retired");
    assert_int_equal(facts(st, ME).required_in_force, 0);
}

static void suspensions_toggle(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    struct suspension_row s = {.person_id = ME, .purpose = "*", .action = "suspend", .at = 1, .channel = "api",
                               .recorded_by = "person"};
    assert_int_equal(store_suspension_append(st, &s), PHR_OK);
    assert_int_equal(facts(st, ME).suspended_all, 1);
    assert_int_equal(facts(st, OTHER).suspended_all, 0);
    assert_int_equal(store_suspension_append(st, &s), PHR_ECONFLICT);
    s.action = "lift";
    assert_int_equal(store_suspension_append(st, &s), PHR_OK);
    assert_int_equal(facts(st, ME).suspended_all, 0);
    assert_int_equal(store_suspension_append(st, &s), PHR_ECONFLICT);
}

static void unknown_purpose_version_is_refused(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    purpose(st, "service", 1, 1, "initial");
    assert_int_equal(decide(st, ME, "service", 2, "grant"), PHR_ECONFLICT);
    assert_int_equal(decide(st, ME, "nothing", 1, "grant"), PHR_ECONFLICT);
}

/* What the store finds as bases for providing person's data to rid. */
struct bases {
    int n;
    char purpose[64];
    int version;
    data_kinds kinds;
};

static int got_basis(void *arg, const struct provision_basis_row *r)
{
    struct bases *b = arg;
    data_kinds k = 0;
    assert_int_equal(data_kinds_parse(r->kinds, &k, NULL, 0), 0);
    b->n++;
    b->kinds |= k;
    snprintf(b->purpose, sizeof b->purpose, "%s", r->purpose);
    b->version = r->purpose_version;
    return PHR_OK;
}

static struct bases bases_of(struct store *st, const char *rid, const char *person, const char *group, int64_t now)
{
    struct bases b = {0};
    assert_int_equal(store_provision_bases(st, rid, person, group, now, got_basis, &b), PHR_OK);
    return b;
}

/* The provision basis over every combination of: the recipient's
 * membership, its country, the person's latest decision (none, grant,
 * grant of a version a material change has passed, refuse, withdraw), the
 * countries the grant names, a suspension (none, all, this purpose,
 * another purpose) and the kind asked for. */
static void provision_basis_table(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    purpose(st, "service", 1, 1, "initial");
    struct purpose_row pr = {.code = "share", .version = 1, .required = 0, .title_ja = "t", .description_ja = "d",
                             .change = "initial", .published_at = 1, .recipient_group = "partners",
                             .kinds = "vital-signs"};
    assert_int_equal(store_purpose_insert(st, &pr), PHR_OK);
    pr.version = 2;
    pr.change = "material";
    assert_int_equal(store_purpose_insert(st, &pr), PHR_OK);
    assert_int_equal(store_group_insert(st, "partners", "Partners", 1), PHR_OK);
    static const unsigned char hash[32] = {0};
    const char *recipients[2][2] = {{"00000000-0000-4000-8000-0000000000a0", "00000000-0000-4000-8000-0000000000a1"},
                                    {"00000000-0000-4000-8000-0000000000b0", "00000000-0000-4000-8000-0000000000b1"}};
    for (int member = 0; member < 2; member++)
        for (int abroad = 0; abroad < 2; abroad++) {
            struct recipient_row r = {.id = recipients[member][abroad], .name = "r", .address = "a",
                                      .country = abroad ? "US" : "JP", .contact = "c", .secret_hash = hash,
                                      .created_at = 1};
            assert_int_equal(store_recipient_insert(st, &r), PHR_OK);
            struct agreement_row ag = {.recipient_id = r.id, .version = "v1", .signed_on = 1, .recorded_at = 1};
            assert_int_equal(store_agreement_insert(st, &ag), PHR_OK);
            if (member)
                assert_int_equal(store_group_change(st, "partners", r.id, "join", 1), PHR_OK);
        }
    static const char *const decisions[] = {NULL, "grant", "grant-stale", "refuse", "withdraw"};
    static const char *const suspensions[] = {NULL, "*", "share", "service"};
    int n = 0, allowed = 0;
    for (int d = 0; d < 5; d++)
        for (int names_us = 0; names_us < 2; names_us++)
            for (int sus = 0; sus < 4; sus++) {
                char person[ID_LEN + 1];
                snprintf(person, sizeof person, "10000000-0000-4000-8000-%012d", n++);
                if (decisions[d]) {
                    int stale = !strcmp(decisions[d], "grant-stale");
                    if (!strcmp(decisions[d], "withdraw"))
                        assert_int_equal(decide(st, person, "share", 2, "grant"), PHR_OK);
                    struct consent_row c = {.person_id = person, .purpose = "share", .purpose_version = stale ? 1 : 2,
                                            .decision = stale ? "grant" : decisions[d], .at = 5, .channel = "api",
                                            .recorded_by = "p", .documents = "", .countries = names_us ? "US" : ""};
                    assert_int_equal(store_consent_append(st, &c), PHR_OK);
                }
                if (suspensions[sus]) {
                    struct suspension_row x = {.person_id = person, .purpose = suspensions[sus], .action = "suspend",
                                               .at = 6, .channel = "api", .recorded_by = "p"};
                    assert_int_equal(store_suspension_append(st, &x), PHR_OK);
                }
                for (int member = 0; member < 2; member++)
                    for (int abroad = 0; abroad < 2; abroad++)
                        for (int other_kind = 0; other_kind < 2; other_kind++) {
                            int want = member && decisions[d] && !strcmp(decisions[d], "grant") &&
                                       (!abroad || names_us) && (!suspensions[sus] || !strcmp(suspensions[sus], "service")) &&
                                       !other_kind;
                            struct bases b = bases_of(st, recipients[member][abroad], person, NULL, NOW);
                            data_kinds asked = DATA_KIND_BIT(other_kind ? DK_CHECKUP : DK_BLOOD_PRESSURE);
                            int found = (b.kinds & asked) != 0;
                            if (found != want)
                                fail_msg("decision %s names_us %d suspended %s member %d abroad %d kind %d: found %d",
                                         decisions[d] ? decisions[d] : "none", names_us,
                                         suspensions[sus] ? suspensions[sus] : "none", member, abroad, other_kind,
                                         found);
                            if (found) {
                                assert_string_equal(b.purpose, "share");
                                assert_int_equal(b.version, 2);
                                allowed++;
                            }
                        }
            }
    assert_int_equal(n, 40);
    /* Granted, and not suspended (or only "service" suspended): 2 x 2
     * persons; the domestic member reads all 4, the member abroad the 2
     * whose grant names US. */
    assert_int_equal(allowed, 4 + 2);
}

/* R2.7: the recipient's newest agreement decides: none, ended, or with an
 * expired certification, and nothing is provided. */
static void provision_needs_an_agreement(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    purpose(st, "service", 1, 1, "initial");
    struct purpose_row pr = {.code = "share", .version = 1, .title_ja = "t", .description_ja = "d", .change = "initial",
                             .published_at = 1, .recipient_group = "partners", .kinds = "vital-signs,checkup"};
    assert_int_equal(store_purpose_insert(st, &pr), PHR_OK);
    assert_int_equal(store_group_insert(st, "partners", "Partners", 1), PHR_OK);
    static const unsigned char hash[32] = {0};
    const char *rid = "00000000-0000-4000-8000-0000000000c0";
    struct recipient_row r = {.id = rid, .name = "r", .address = "a", .country = "JP", .contact = "c",
                              .secret_hash = hash, .created_at = 1};
    assert_int_equal(store_recipient_insert(st, &r), PHR_OK);
    assert_int_equal(store_group_change(st, "partners", rid, "join", 1), PHR_OK);
    assert_int_equal(decide(st, ME, "share", 1, "grant"), PHR_OK);
    assert_int_equal(bases_of(st, rid, ME, NULL, NOW).n, 0); /* no agreement yet */
    struct agreement_row a = {.recipient_id = rid, .version = "v1", .signed_on = 1, .certification = "Pマーク",
                              .cert_expires = NOW + 1000, .recorded_at = 2};
    assert_int_equal(store_agreement_insert(st, &a), PHR_OK);
    struct bases b = bases_of(st, rid, ME, NULL, NOW);
    assert_int_equal(b.n, 1);
    assert_true(b.kinds == (DATA_KINDS_VITALS | DATA_KIND_BIT(DK_CHECKUP)));
    /* A Group export: through that group only. */
    assert_int_equal(bases_of(st, rid, ME, "partners", NOW).n, 1);
    assert_int_equal(bases_of(st, rid, ME, "others", NOW).n, 0);
    assert_int_equal(store_group_member(st, "partners", rid), PHR_OK);
    assert_int_equal(store_group_member(st, "others", rid), PHR_ENOTFOUND);
    assert_int_equal(bases_of(st, rid, ME, NULL, NOW + 1000).n, 0); /* the certification has expired */
    a.cert_expires = 0;
    a.ended = 1;
    a.recorded_at = 3;
    assert_int_equal(store_agreement_insert(st, &a), PHR_OK);
    assert_int_equal(bases_of(st, rid, ME, NULL, NOW).n, 0); /* ended */
    a.recipient_id = "00000000-0000-4000-8000-0000000000ff";
    assert_int_equal(store_agreement_insert(st, &a), PHR_ENOTFOUND);
}

/* --- parsing --- */

static const char MANIFEST[] =
    "{\"documents\":["
    "{\"kind\":\"terms\",\"lang\":\"ja\",\"title\":\"規約\",\"file\":\"t.md\",\"effective\":\"2026-12-01\","
    "\"export_period_days\":90},"
    "{\"kind\":\"summary\",\"lang\":\"ja\",\"title\":\"概要\",\"file\":\"s.md\",\"effective\":\"2026-12-01\"},"
    "{\"kind\":\"privacy\",\"lang\":\"ja\",\"title\":\"方針\",\"file\":\"p.md\",\"effective\":\"2026-12-01\"}],"
    "\"purposes\":[{\"code\":\"service\",\"required\":true,\"title\":{\"ja\":\"提供\"},\"description\":{\"ja\":\"説明\"}}]}";

static int parse_with(const char *from, const char *to, struct fault *fault)
{
    char text[2048];
    const char *at = strstr(MANIFEST, from);
    assert_non_null(at);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - MANIFEST), MANIFEST, to, at + strlen(from));
    struct policy_set set;
    int rc = policy_parse(text, strlen(text), POLICY_TEXTS_IN_FILES, &set, fault);
    if (rc == 0)
        policy_free(&set);
    return rc;
}

static void manifest_parsing(void **state)
{
    (void)state;
    struct policy_set set;
    struct fault fault;
    assert_int_equal(policy_parse(MANIFEST, strlen(MANIFEST), POLICY_TEXTS_IN_FILES, &set, &fault), 0);
    assert_int_equal(set.ndocs, 3);
    assert_int_equal(set.npurposes, 1);
    assert_int_equal(set.docs[0].effective_at, 1796050800000LL); /* 2026-12-01T00:00+09:00 */
    assert_int_equal(set.docs[0].export_days, 90);
    policy_free(&set);
    static const struct { const char *from, *to, *why; } bad[] = {
        {"\"kind\":\"terms\"", "\"kind\":\"rules\"", "terms, summary, privacy or anonymised"},
        {"\"lang\":\"ja\",\"title\":\"規約\"", "\"lang\":\"fr\",\"title\":\"規約\"", "ja or en"},
        {"\"file\":\"t.md\"", "\"file\":\"../etc/passwd\"", "no '..'"},
        {"\"file\":\"t.md\"", "\"file\":\"/etc/passwd\"", "not absolute"},
        {"\"effective\":\"2026-12-01\",\"export", "\"effective\":\"soon\",\"export", "YYYY-MM-DD"},
        {"{\"kind\":\"privacy\"", "{\"kind\":\"summary\"", "listed twice"},
        {"\"export_period_days\":90", "\"export_period_days\":7", "30 to 3650 days"},
        {",\"export_period_days\":90", "", "export_period_days is required for the terms"},
        {"\"file\":\"s.md\"", "\"file\":\"s.md\",\"export_period_days\":90", "terms only"},
        {"\"code\":\"service\"", "\"code\":\"Service!\"", "lower-case"},
        {"\"required\":true", "\"required\":\"yes\"", "true or false"},
        {"\"required\":true", "\"required\":false", "at least one purpose must be required"},
        {"\"title\":{\"ja\":\"提供\"}", "\"title\":{\"en\":\"x\"}", "Japanese first"},
        {"\"description\":{\"ja\":\"説明\"}}", "\"description\":{\"ja\":\"説明\"},\"change\":\"big\"}", "material or minor"},
        {"\"purposes\":[", "\"purposes\":{", "malformed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&fault, 0, sizeof fault);
        if (parse_with(bad[i].from, bad[i].to, &fault) != -1)
            fail_msg("case %zu accepted", i);
        if (!strstr(fault.detail, bad[i].why))
            fail_msg("case %zu: '%s' does not say '%s'", i, fault.detail, bad[i].why);
    }
}

/* A manager's manifest carries the texts; a file name there is refused
 * (the web never reads the server's files) and so is a missing text. */
static void inline_texts(void **state)
{
    (void)state;
    char text[2048];
    struct policy_set set;
    struct fault fault;
    size_t n = 0;
    for (const char *p = MANIFEST; *p; p++) {
        if (!strncmp(p, "\"file\":\"", 8)) {
            n += (size_t)snprintf(text + n, sizeof text - n, "\"body\":\"# 本文\\n\"");
            p = strchr(p + 8, '"');
            continue;
        }
        text[n++] = *p;
    }
    text[n] = '\0';
    assert_int_equal(policy_parse(text, n, POLICY_TEXTS_INLINE, &set, &fault), 0);
    assert_int_equal(set.ndocs, 3);
    assert_null(set.docs[0].file);
    assert_string_equal(set.docs[0].body, "# 本文\n");
    assert_int_equal(set.docs[0].body_len, strlen("# 本文\n"));
    assert_int_equal(policy_check_text(&set.docs[0], &fault), 0);
    policy_free(&set);
    assert_int_equal(policy_parse(MANIFEST, strlen(MANIFEST), POLICY_TEXTS_INLINE, &set, &fault), -1);
    assert_non_null(strstr(fault.detail, "send the text itself"));
    char *nobody = strstr(text, "\"body\":\"# 本文\\n\",");
    assert_non_null(nobody);
    memcpy(nobody, "\"note\"", 6);
    assert_int_equal(policy_parse(text, n, POLICY_TEXTS_INLINE, &set, &fault), -1);
    assert_non_null(strstr(fault.detail, "documents[0].body"));
    struct policy_doc empty = {.kind = "terms", .lang = "ja", .body = "", .body_len = 0};
    assert_int_equal(policy_check_text(&empty, &fault), -1);
    assert_non_null(strstr(fault.detail, "terms (ja): the text is empty"));
}

static void texts_are_checked(void **state)
{
    (void)state;
    struct fault fault;
    struct policy_doc d = {.file = "t.md"};
    d.body = "規約";
    d.body_len = strlen(d.body);
    assert_int_equal(policy_check_text(&d, &fault), 0);
    static const char *const bad[] = {"\xff", "a\0b", "\xe3\x81", "\xc0\xaf", "\xed\xa0\x80"};
    static const size_t lens[] = {1, 3, 2, 2, 3};
    for (size_t i = 0; i < 5; i++) {
        d.body = (char *)bad[i];
        d.body_len = lens[i];
        assert_int_equal(policy_check_text(&d, &fault), -1);
        assert_non_null(strstr(fault.detail, "UTF-8"));
    }
    d.body_len = 0;
    assert_int_equal(policy_check_text(&d, &fault), -1);
}

static void consent_requests(void **state)
{
    (void)state;
    struct consent_request r;
    struct fault fault;
    const char *ok = "{\"decisions\":[{\"purpose\":\"service\",\"decision\":\"grant\",\"version\":2},"
                     "{\"purpose\":\"ai\",\"decision\":\"refuse\"}],\"shown\":[\"" /* 64 hex */
                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"]}";
    assert_int_equal(consent_request_parse(ok, strlen(ok), &r, &fault), 0);
    assert_int_equal(r.ndecisions, 2);
    assert_int_equal(r.decisions[0].version, 2);
    assert_int_equal(r.decisions[1].version, 0);
    assert_string_equal(r.decisions[1].decision, "refuse");
    assert_int_equal(r.nshown, 1);
    static const char *const bad[] = {
        "{}", "[]", "{\"decisions\":[]}", "{\"decisions\":[{\"purpose\":\"x\"}]}",
        "{\"decisions\":[{\"purpose\":\"x\",\"decision\":\"grant\",\"version\":0}]}",
        "{\"decisions\":[{\"purpose\":\"x\",\"decision\":\"grant\",\"version\":\"1\"}]}",
        "{\"decisions\":[{\"purpose\":\"X Y\",\"decision\":\"grant\"}]}",
        "{\"decisions\":[{\"purpose\":\"x\",\"decision\":\"grant\"}],\"shown\":\"abc\"}",
        "{\"decisions\":[{\"purpose\":\"x\",\"decision\":\"grant\"}],\"shown\":[\"ABC\"]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (consent_request_parse(bad[i], strlen(bad[i]), &r, &fault) != -1)
            fail_msg("accepted: %s", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decision_table),
        cmocka_unit_test(consent_actions),
        cmocka_unit_test(every_action_has_a_name_and_a_rule),
        cmocka_unit_test_setup_teardown(facts_follow_the_ledger, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(suspensions_toggle, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(unknown_purpose_version_is_refused, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(provision_basis_table, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(provision_needs_an_agreement, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test(manifest_parsing),
        cmocka_unit_test(inline_texts),
        cmocka_unit_test(texts_are_checked),
        cmocka_unit_test(consent_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
