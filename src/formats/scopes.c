#include "formats/scopes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FHIR R4 (4.0.1), sorted, for bsearch. */
static const char *const r4_types[] = {
    "Account", "ActivityDefinition", "AdverseEvent", "AllergyIntolerance", "Appointment", "AppointmentResponse",
    "AuditEvent", "Basic", "Binary", "BiologicallyDerivedProduct", "BodyStructure", "Bundle", "CapabilityStatement",
    "CarePlan", "CareTeam", "CatalogEntry", "ChargeItem", "ChargeItemDefinition", "Claim", "ClaimResponse",
    "ClinicalImpression", "CodeSystem", "Communication", "CommunicationRequest", "CompartmentDefinition",
    "Composition", "ConceptMap", "Condition", "Consent", "Contract", "Coverage", "CoverageEligibilityRequest",
    "CoverageEligibilityResponse", "DetectedIssue", "Device", "DeviceDefinition", "DeviceMetric", "DeviceRequest",
    "DeviceUseStatement", "DiagnosticReport", "DocumentManifest", "DocumentReference", "EffectEvidenceSynthesis",
    "Encounter", "Endpoint", "EnrollmentRequest", "EnrollmentResponse", "EpisodeOfCare", "EventDefinition",
    "Evidence", "EvidenceVariable", "ExampleScenario", "ExplanationOfBenefit", "FamilyMemberHistory", "Flag", "Goal",
    "GraphDefinition", "Group", "GuidanceResponse", "HealthcareService", "ImagingStudy", "Immunization",
    "ImmunizationEvaluation", "ImmunizationRecommendation", "ImplementationGuide", "InsurancePlan", "Invoice",
    "Library", "Linkage", "List", "Location", "Measure", "MeasureReport", "Media", "Medication",
    "MedicationAdministration", "MedicationDispense", "MedicationKnowledge", "MedicationRequest",
    "MedicationStatement", "MedicinalProduct", "MedicinalProductAuthorization", "MedicinalProductContraindication",
    "MedicinalProductIndication", "MedicinalProductIngredient", "MedicinalProductInteraction",
    "MedicinalProductManufactured", "MedicinalProductPackaged", "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect", "MessageDefinition", "MessageHeader", "MolecularSequence", "NamingSystem",
    "NutritionOrder", "Observation", "ObservationDefinition", "OperationDefinition", "OperationOutcome",
    "Organization", "OrganizationAffiliation", "Parameters", "Patient", "PaymentNotice", "PaymentReconciliation",
    "Person", "PlanDefinition", "Practitioner", "PractitionerRole", "Procedure", "Provenance", "Questionnaire",
    "QuestionnaireResponse", "RelatedPerson", "RequestGroup", "ResearchDefinition", "ResearchElementDefinition",
    "ResearchStudy", "ResearchSubject", "RiskAssessment", "RiskEvidenceSynthesis", "Schedule", "SearchParameter",
    "ServiceRequest", "Slot", "Specimen", "SpecimenDefinition", "StructureDefinition", "StructureMap", "Subscription",
    "Substance", "SubstanceNucleicAcid", "SubstancePolymer", "SubstanceProtein", "SubstanceReferenceInformation",
    "SubstanceSourceMaterial", "SubstanceSpecification", "SupplyDelivery", "SupplyRequest", "Task",
    "TerminologyCapabilities", "TestReport", "TestScript", "ValueSet", "VerificationResult", "VisionPrescription",
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int fhir_resource_type(const char *type)
{
    return bsearch(&type, r4_types, sizeof r4_types / sizeof r4_types[0], sizeof r4_types[0], by_name) != NULL;
}

/* The permissions granted for a v2 action ("cruds" in that order, each at
 * most once): r and s as asked, c only when creating is granted (a
 * person's app writing Observations); u and d never. "" for none; NULL if
 * it is no v2 action. */
static const char *v2_grant(const char *action, int may_create, char out[4])
{
    static const char order[] = "cruds";
    int have[5] = {0}, last = -1;
    if (!*action)
        return NULL;
    for (const char *p = action; *p; p++) {
        const char *at = strchr(order, *p);
        if (!at || (int)(at - order) <= last)
            return NULL;
        last = (int)(at - order);
        have[last] = 1;
    }
    snprintf(out, 4, "%s%s%s", have[0] && may_create ? "c" : "", have[1] ? "r" : "", have[4] ? "s" : "");
    return out;
}

/* Granular scopes (SMART v2): Observation's category, as FHIR's
 * observation-category codes, and the kinds of data each one is here. */
#define CATEGORY_SYSTEM "http://terminology.hl7.org/CodeSystem/observation-category"
static const struct {
    const char *code;
    data_kinds kinds;
} categories[] = {
    {"vital-signs", DATA_KINDS_VITALS},
    {"laboratory", DATA_KIND_BIT(DK_CHECKUP)},
    {"exam", DATA_KIND_BIT(DK_CHECKUP)},
};

/* "category=[system|]code" (n bytes) into code; 0, or -1 if it is any
 * other query, system or code. */
static int granular_category(const char *q, size_t n, char code[64])
{
    static const char name[] = "category=";
    if (n <= sizeof name - 1 || strncmp(q, name, sizeof name - 1))
        return -1;
    q += sizeof name - 1;
    n -= sizeof name - 1;
    const char *bar = memchr(q, '|', n);
    if (bar) {
        size_t sn = (size_t)(bar - q);
        if (sn != strlen(CATEGORY_SYSTEM) || strncmp(q, CATEGORY_SYSTEM, sn))
            return -1;
        n -= sn + 1;
        q = bar + 1;
    }
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++)
        if (strlen(categories[i].code) == n && !strncmp(q, categories[i].code, n)) {
            snprintf(code, 64, "%s", categories[i].code);
            return 0;
        }
    return -1;
}

/* Once each, in the order asked. 0, or -2 out of memory. */
static int append_once(struct buf *granted, const char *one)
{
    const char *g = buf_cstr(granted);
    for (const char *p = g ? strstr(g, one) : NULL; p; p = strstr(p + 1, one))
        if ((p == g || p[-1] == ' ') && (p[strlen(one)] == ' ' || !p[strlen(one)]))
            return 0;
    return buf_printf(granted, "%s%s", granted->len ? " " : "", one) ? -2 : 0;
}

/* One requested scope: its grant appended to granted (nothing for a write
 * scope). -1 if it is not a scope this context knows. */
static int grant_one(const char *s, size_t n, const char *context, struct buf *granted)
{
    /* A person's app (context "patient"): its tokens always carry the
     * person; a refresh token is given for offline_access. No id_token is
     * issued, so openid and fhirUser grant nothing, and the answer's scope
     * says so. */
    static const struct {
        const char *name;
        int kept;
    } launch[] = {{"launch/patient", 1}, {"offline_access", 1}, {"online_access", 0}, {"openid", 0}, {"fhirUser", 0}};
    for (size_t i = 0; !strcmp(context, "patient") && i < sizeof launch / sizeof launch[0]; i++)
        if (strlen(launch[i].name) == n && !strncmp(s, launch[i].name, n))
            return launch[i].kept ? append_once(granted, launch[i].name) : 0;
    size_t c = strlen(context);
    const char *query = memchr(s, '?', n);
    char category[64] = "";
    if (query) {
        if (granular_category(query + 1, n - (size_t)(query + 1 - s), category))
            return -1;
        n = (size_t)(query - s);
    }
    if (n <= c + 1 || strncmp(s, context, c) || s[c] != '/')
        return -1;
    const char *type = s + c + 1, *dot = memchr(type, '.', n - c - 1);
    if (!dot || dot == type)
        return -1;
    char t[64], action[16];
    size_t tn = (size_t)(dot - type), an = n - (size_t)(dot + 1 - s);
    if (tn >= sizeof t || an >= sizeof action || an == 0)
        return -1;
    memcpy(t, type, tn);
    t[tn] = '\0';
    memcpy(action, dot + 1, an);
    action[an] = '\0';
    if (strcmp(t, "*") && !fhir_resource_type(t))
        return -1;
    if (category[0] && strcmp(t, "Observation"))
        return -1; /* categories are Observation's */
    /* Of writes, only an app's new Observations (its readings) are taken. */
    int may_create = !strcmp(context, "patient") && (!strcmp(t, "Observation") || !strcmp(t, "*"));
    char letters[4];
    const char *grant;
    if (!strcmp(action, "read"))
        grant = "read";
    else if (!strcmp(action, "*"))
        grant = may_create ? "crs" : "read";
    else if (!strcmp(action, "write"))
        grant = may_create ? "c" : "";
    else if (!(grant = v2_grant(action, may_create, letters)))
        return -1;
    if (!*grant)
        return 0;
    char one[200];
    snprintf(one, sizeof one, "%s/%s.%s%s%s", context, t, grant, category[0] ? "?category=" CATEGORY_SYSTEM "|" : "",
             category);
    return append_once(granted, one);
}

int scopes_grant(const char *requested, const char *context, struct buf *granted, struct fault *fault)
{
    buf_reset(granted);
    int asked = 0;
    for (const char *p = requested ? requested : ""; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (!n)
            break;
        asked++;
        int rc = grant_one(p, n, context, granted);
        if (rc == -2)
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
        if (rc < 0)
            return fault_set(fault, F_SCOPE_INVALID, "scope", "%.*s is not a %s scope this service grants", (int)n,
                             p, context);
        p += n;
    }
    if (!asked)
        return fault_set(fault, F_SCOPE_INVALID, "scope", "no scope was asked for");
    if (!strchr(granted->len ? buf_cstr(granted) : "", '.'))
        return fault_set(fault, F_SCOPE_INVALID, "scope",
                         "only read access (and an app's new Observations) is granted, and none was asked for");
    if (granted->len >= SCOPE_MAX)
        return fault_set(fault, F_SCOPE_INVALID, "scope", "more scopes than one token holds: ask for system/*.rs");
    return 0;
}

int scopes_allow(const char *granted, const char *type, char perm)
{
    for (const char *p = granted ? granted : ""; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " "), plain = strcspn(p, " ?"); /* a granular scope's query is the gate's */
        const char *slash = memchr(p, '/', plain), *dot = slash ? memchr(slash, '.', plain - (size_t)(slash - p)) : NULL;
        if (slash && dot) {
            size_t tn = (size_t)(dot - slash - 1), an = plain - (size_t)(dot + 1 - p);
            int type_ok = (tn == 1 && slash[1] == '*') || (tn == strlen(type) && !strncmp(slash + 1, type, tn));
            int v1_read = an == 4 && !strncmp(dot + 1, "read", 4);
            int perm_ok = v1_read ? perm == 'r' || perm == 's' : memchr(dot + 1, perm, an) != NULL;
            if (type_ok && perm_ok)
                return 1;
        }
        p += n;
    }
    return 0;
}

int scopes_beyond(const char *granted, const char *allowed, char *first, size_t size)
{
    for (const char *p = granted ? granted : ""; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (!n)
            break;
        char one[256];
        snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one ? n : sizeof one - 1), p);
        /* A granular scope is within what its type and permissions are. */
        char *query = strchr(one, '?');
        if (query)
            *query = '\0';
        const char *slash = strchr(one, '/'), *dot = slash ? strchr(slash, '.') : NULL;
        int within;
        if (!dot) {
            /* launch/patient, offline_access: registered by name. */
            within = 0;
            for (const char *a = allowed; !within && *a;) {
                size_t m = strcspn(a, " ");
                within = m == n && !strncmp(a, p, n);
                a += m + (a[m] == ' ');
            }
        } else {
            char type[64];
            snprintf(type, sizeof type, "%.*s", (int)(dot - slash - 1), slash + 1);
            const char *perms = !strcmp(dot + 1, "read") ? "rs" : dot + 1;
            within = 1;
            /* For "*", only an allowed "*" scope matches the type "*". */
            for (const char *q = perms; within && *q; q++)
                within = scopes_allow(allowed, type, *q);
        }
        if (!within) {
            snprintf(first, size, "%.*s", (int)n, p);
            return 1;
        }
        p += n;
    }
    return 0;
}

data_kinds scopes_kinds(const char *granted)
{
    if (!granted || !strchr(granted, '?'))
        return ~(data_kinds)0;
    data_kinds kinds = 0;
    for (const char *p = granted; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " "), plain = strcspn(p, " ?");
        const char *slash = memchr(p, '/', plain), *dot = slash ? memchr(slash, '.', plain - (size_t)(slash - p)) : NULL;
        if (slash && dot) {
            char type[64];
            snprintf(type, sizeof type, "%.*s", (int)(dot - slash - 1), slash + 1);
            const char *code = plain < n ? memchr(p + plain, '|', n - plain) : NULL;
            if (!strcmp(type, "*"))
                kinds = ~(data_kinds)0;
            else if (!code)
                kinds |= data_kinds_of_type(type);
            else
                for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++)
                    if (strlen(categories[i].code) == n - (size_t)(code + 1 - p) &&
                        !strncmp(code + 1, categories[i].code, strlen(categories[i].code)))
                        kinds |= categories[i].kinds;
        }
        p += n;
    }
    return kinds;
}
