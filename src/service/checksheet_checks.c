/* The checksheet's computed items: what the store and the configuration
 * show, with the evidence in words, never typed by anyone. */
#include "service/anonymised_check.h"
#include "service/checksheet_checks.h"

#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "audit/audit.h"
#include "util/clock.h"
#include "util/err.h"

#define SAY(r, ...) snprintf((r)->evidence, sizeof (r)->evidence, __VA_ARGS__)
#define WHY(r, ...) snprintf((r)->reason, sizeof (r)->reason, __VA_ARGS__)

static void medical_cooperation(struct check_context *c, struct check_result *r)
{
    (void)c;
    r->status = "not-applicable";
    SAY(r, "This deployment offers no medical-institution cooperation functions (this build has none): category (3) "
           "information is out of scope (R1.3).");
}

static void staff_roles(struct check_context *c, struct check_result *r)
{
    const struct checksheet_facts *f = &c->f;
    SAY(r, "Active staff by role: security officer %lld, information-asset manager %lld, handler %lld, auditor %lld.",
        (long long)f->security_officers, (long long)f->asset_managers, (long long)f->handlers, (long long)f->auditors);
    r->status = f->security_officers && f->asset_managers && f->auditors ? "implemented" : "not-implemented";
    if (*r->status == 'n')
        WHY(r, "A role is not staffed:%s%s%s", f->security_officers ? "" : " security officer",
            f->asset_managers ? "" : " information-asset manager", f->auditors ? "" : " auditor");
}

static void inventory_complete(struct check_context *c, struct check_result *r)
{
    struct buf out = {0};
    int unclassified = -1;
    int err = inventory(c->svc, 0, &out, &unclassified);
    buf_free(&out);
    if (err) {
        r->status = "not-implemented";
        WHY(r, "The inventory could not be generated: %s.", phr_strerror(err));
        return;
    }
    r->status = unclassified == 0 ? "implemented" : "not-implemented";
    SAY(r, "The inventory is generated from the live schema (phr inventory); %d table(s) undescribed.", unclassified);
    if (unclassified)
        WHY(r, "%d table(s) of the store are not described in the inventory.", unclassified);
}

static void second_factor(struct check_context *c, struct check_result *r)
{
    const struct checksheet_facts *f = &c->f;
    r->status = f->staff_without_mfa == 0 ? "implemented" : "not-implemented";
    SAY(r, "%lld active staff account(s), %lld without a second factor; staff sign in with TOTP or a recovery code, "
           "roles grant fixed actions (default deny).",
        (long long)f->staff_active, (long long)f->staff_without_mfa);
    if (f->staff_without_mfa)
        WHY(r, "%lld active staff account(s) have no second factor.", (long long)f->staff_without_mfa);
}

static void audit_chain(struct check_context *c, struct check_result *r)
{
    unsigned char pk[1][SIGN_PUBLIC_BYTES];
    struct audit_report rep;
    sign_key_public(c->svc->audit_key, pk[0]);
    int err = audit_verify(c->rd, (const unsigned char(*)[SIGN_PUBLIC_BYTES])pk, 1, &rep);
    if (err == PHR_OK) {
        r->status = "implemented";
        SAY(r, "The handling history verifies: %lld entries, %lld signed checkpoints (the newest signs entry %lld).",
            (long long)rep.entries, (long long)rep.checkpoints, (long long)rep.signed_seq);
        return;
    }
    r->status = "not-implemented";
    SAY(r, "The handling history does not verify.");
    if (rep.first_bad_seq)
        WHY(r, "The handling history is broken at entry %lld: %s.", (long long)rep.first_bad_seq, rep.problem);
    else
        WHY(r, "The handling history does not verify: %s.", err == PHR_ECRYPTO ? rep.problem : phr_strerror(err));
}

static void at_rest(struct check_context *c, struct check_result *r)
{
    const struct checksheet_facts *f = &c->f;
    int ok = f->records_unsealed == 0 && f->persons_without_key == 0;
    r->status = ok ? "implemented" : "not-implemented";
    SAY(r, "%lld record version(s) sealed (XChaCha20-Poly1305) under per-person data keys; data keys in keys.db, "
           "wrapped by a master key kept in a file outside the database.",
        (long long)f->records);
    if (!ok)
        WHY(r, "%lld record version(s) not sealed; %lld person(s) without a data key.", (long long)f->records_unsealed,
            (long long)f->persons_without_key);
}

static void policies_published(struct check_context *c, struct check_result *r)
{
    const struct checksheet_facts *f = &c->f;
    int ok = f->document_kinds == 3 && f->purposes > 0;
    r->status = ok ? "implemented" : "not-implemented";
    SAY(r, "Published and versioned: %lld of 3 documents (terms, summary, privacy policy), %lld purpose(s) of use.",
        (long long)f->document_kinds, (long long)f->purposes);
    if (!ok)
        WHY(r, "The terms, their summary, the privacy policy or the purposes of use are not all published.");
}

static void consent_before_data(struct check_context *c, struct check_result *r)
{
    const struct checksheet_facts *f = &c->f;
    r->status = f->persons_without_consent == 0 ? "implemented" : "not-implemented";
    SAY(r, "%lld active person(s); records are accepted only under a grant of every required purpose; %lld person(s) "
           "hold records without one.",
        (long long)f->persons, (long long)f->persons_without_consent);
    if (f->persons_without_consent)
        WHY(r, "%lld person(s) hold records without a live consent to every required purpose.",
            (long long)f->persons_without_consent);
}

static void consent_withdrawal(struct check_context *c, struct check_result *r)
{
    const struct checksheet_facts *f = &c->f;
    r->status = f->provisions_after_withdrawal == 0 ? "implemented" : "not-implemented";
    SAY(r, "%lld withdrawal(s) recorded; %lld provision(s) made after a withdrawal of their purpose. The gate checks "
           "withdrawal and suspension inside the transaction of every use and provision.",
        (long long)f->withdrawals, (long long)f->provisions_after_withdrawal);
    if (f->provisions_after_withdrawal)
        WHY(r, "%lld provision(s) were made after the person withdrew consent to their purpose.",
            (long long)f->provisions_after_withdrawal);
}

static void provision_records(struct check_context *c, struct check_result *r)
{
    const struct checksheet_facts *f = &c->f;
    r->status = f->reads_without_provision_record == 0 ? "implemented" : "not-implemented";
    SAY(r, "%lld read(s) by recipients within the provision records' retention, %lld without a provision record.",
        (long long)f->recipient_reads, (long long)f->reads_without_provision_record);
    if (f->reads_without_provision_record)
        WHY(r, "%lld provision(s) to recipients have no provision record.", (long long)f->reads_without_provision_record);
}

static void erasure_available(struct check_context *c, struct check_result *r)
{
    const struct checksheet_facts *f = &c->f;
    r->status = f->erasures_unfinished == 0 ? "implemented" : "not-implemented";
    SAY(r, "Erasure on request in two steps, by data kind or the whole account; an account's data key is destroyed "
           "(crypto-shredding). %lld erasure(s) done, %lld unfinished.",
        (long long)f->erasures_done, (long long)f->erasures_unfinished);
    if (f->erasures_unfinished)
        WHY(r, "%lld erasure(s) are not finished.", (long long)f->erasures_unfinished);
}

static void retention_ran(struct check_context *c, struct check_result *r)
{
    const struct checksheet_facts *f = &c->f;
    int64_t period = c->svc->cfg.retention_interval_ms > 0 ? c->svc->cfg.retention_interval_ms : 86400000LL;
    char last[32];
    clock_format_local(f->last_retention_at, c->svc->cfg.tz_offset_min, last);
    int ok = f->last_retention_at && f->last_retention_at >= c->now - 2 * period;
    r->status = ok ? "implemented" : "not-implemented";
    if (f->last_retention_at)
        SAY(r, "Retention rules (inactivity, provision records after 3 years, expired sessions) last ran at %s.", last);
    else
        SAY(r, "Retention rules are configured; they have never run.");
    if (!ok)
        WHY(r, "Retention has not run within twice its period (%lld hours).", (long long)(period / 3600000));
}

static void export_formats(struct check_context *c, struct check_result *r)
{
    (void)c;
    r->status = "not-implemented";
    SAY(r, "Available: the disclosure archive (JSON: every record with its original, consents, provisions) and FHIR R4 "
           "JSON (Observation, Consent, Provenance, AuditEvent).");
    WHY(r, "Export as HL7 CDA, JAHIS text and SPHR packages is not built yet.");
}

static void export_period(struct check_context *c, struct check_result *r)
{
    const struct checksheet_facts *f = &c->f;
    r->status = f->terms_export_days > 0 ? "implemented" : "not-implemented";
    SAY(r, "The terms in force state an export period of %lld day(s); an announced termination is held to it and "
           "persons are told at sign-in and through the notice hook.",
        (long long)f->terms_export_days);
    if (!f->terms_export_days)
        WHY(r, "The terms in force do not state the export period.");
}

/* Art.43(3)(4): what each data set holds is published as it is made, and
 * each provision's method as it is recorded (the service lists both at GET
 * /api/v1/anonymised in the step that records them); its method stays with
 * those who answer for it. None made: nothing to publish. */
static void anonymised_notice(struct check_context *c, struct check_result *r)
{
    struct anonymised_recount n;
    int err = anonymised_recount(c->svc, c->rd, &n);
    if (err) {
        r->status = "not-implemented";
        WHY(r, "The anonymised data sets could not be read: %s.", phr_strerror(err));
        return;
    }
    if (!n.sets) {
        r->status = "not-applicable";
        SAY(r, "The service has made no anonymised data set and provided none (GET /api/v1/anonymised lists none).");
        return;
    }
    r->status = n.verified == n.sets ? "implemented" : "not-implemented";
    SAY(r, "%lld anonymised data set(s) made, items published at GET /api/v1/anonymised as recorded; %lld recounted "
           "now from the kept tables meet k (and l) in every group. The method: asset manager and security officer "
           "only, each reading recorded. %lld provision(s), each under an agreement in force, method published.",
        (long long)n.sets, (long long)n.verified, (long long)c->f.anonymised_provisions);
    if (n.verified != n.sets)
        WHY(r, "%lld data set(s) have no kept table that opens; %s fails its k or l, or publishes no items.",
            (long long)n.not_kept, n.first_bad[0] ? n.first_bad : "none");
}

static const struct {
    const char *name;
    void (*fn)(struct check_context *, struct check_result *);
} checks[] = {
    {"deployment.medical_cooperation", medical_cooperation},
    {"staff.roles", staff_roles},
    {"inventory.complete", inventory_complete},
    {"staff.second_factor", second_factor},
    {"audit.chain", audit_chain},
    {"crypto.at_rest", at_rest},
    {"policies.published", policies_published},
    {"consent.before_data", consent_before_data},
    {"consent.withdrawal", consent_withdrawal},
    {"provision.records", provision_records},
    {"erasure.available", erasure_available},
    {"retention.ran", retention_ran},
    {"export.formats", export_formats},
    {"termination.export_period", export_period},
    {"anonymised.published", anonymised_notice},
};

int checksheet_check_find(const char *name)
{
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (!strcmp(checks[i].name, name))
            return (int)i;
    return -1;
}

void checksheet_check_run(int i, struct check_context *c, struct check_result *r)
{
    checks[i].fn(c, r);
}
