/* formats/scopes: SMART scopes granted read-only, the whole request refused
 * on anything unknown (issue 19 items 3-4; BDT's authorization suite asks
 * the same of the token endpoint). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "formats/scopes.h"

static const char *granted_in(const char *requested, const char *context)
{
    static struct buf b;
    struct fault f;
    buf_free(&b);
    buf_init(&b);
    return scopes_grant(requested, context, &b, &f) == 0 ? buf_cstr(&b) : f.code == F_SCOPE_INVALID ? "REFUSED" : "?";
}

static const char *granted(const char *requested)
{
    return granted_in(requested, "system");
}

static void reads_are_granted_as_asked(void **state)
{
    (void)state;
    assert_string_equal(granted("system/*.read"), "system/*.read");
    assert_string_equal(granted("system/*.rs"), "system/*.rs");
    assert_string_equal(granted("  system/Observation.r   system/Patient.s "), "system/Observation.r system/Patient.s");
    assert_string_equal(granted("system/Patient.read system/Observation.rs"), "system/Patient.read system/Observation.rs");
    assert_string_equal(granted("system/*.rs system/*.rs"), "system/*.rs");
}

/* Writes are never granted: dropped beside a read, refused alone. */
static void writes_are_dropped(void **state)
{
    (void)state;
    assert_string_equal(granted("system/*.*"), "system/*.read");
    assert_string_equal(granted("system/*.cruds"), "system/*.rs");
    assert_string_equal(granted("system/Patient.write system/Observation.read"), "system/Observation.read");
    assert_string_equal(granted("system/Patient.write"), "REFUSED");
    const char *mutations[] = {"system/Patient.c", "system/Patient.cu", "system/Patient.cd", "system/Patient.cud",
                               "system/Patient.ud", "system/Patient.d", "system/Patient.u"};
    for (size_t i = 0; i < sizeof mutations / sizeof mutations[0]; i++)
        assert_string_equal(granted(mutations[i]), "REFUSED");
}

static void anything_unknown_refuses_the_request(void **state)
{
    (void)state;
    const char *bad[] = {"", "   ", "launch fhirUser", "system/UnknownResource.read", "system/UnknownResource.r",
                         "system/Patient.unknownAction", "system/Patient.xyz", "system/Patient.sr",
                         "system/Patient.rr", "patient/Observation.rs", "system/Patient.rs?a=b", "system/.read",
                         "system/Patient.", "system/*.rs launch", "System/*.rs"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(granted(bad[i]), "REFUSED");
}

/* A person's app (SMART App Launch): patient scopes, the launch context and
 * offline access kept, OpenID's asked-for nothing dropped; never a system
 * scope, never only the launch with nothing to read. */
static void an_app_gets_patient_scopes(void **state)
{
    (void)state;
    assert_string_equal(granted_in("launch/patient openid fhirUser patient/Observation.rs offline_access", "patient"),
                        "launch/patient patient/Observation.rs offline_access");
    assert_string_equal(granted_in("patient/*.read online_access", "patient"), "patient/*.read");
    assert_string_equal(granted_in("patient/*.cruds launch/patient launch/patient", "patient"),
                        "patient/*.crs launch/patient");
    /* Of writes, an app creates Observations only. */
    assert_string_equal(granted_in("patient/Observation.c", "patient"), "patient/Observation.c");
    assert_string_equal(granted_in("patient/Observation.write patient/Observation.read", "patient"),
                        "patient/Observation.c patient/Observation.read");
    assert_string_equal(granted_in("patient/Observation.* patient/Patient.*", "patient"),
                        "patient/Observation.crs patient/Patient.read");
    assert_string_equal(granted_in("patient/MedicationDispense.cruds", "patient"), "patient/MedicationDispense.rs");
    assert_string_equal(granted_in("patient/Observation.ud", "patient"), "REFUSED");
    const char *bad[] = {"launch/patient offline_access", "openid fhirUser", "system/*.rs", "patient/Patient.c",
                         "launch", "launch/encounter patient/*.rs", "user/*.rs", "patient/Observation.rs?category=x",
                         "patient/Observation.rs?code=8480-6", "patient/Condition.rs?category=vital-signs",
                         "patient/Observation.rs?category=http://example.org|vital-signs"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(granted_in(bad[i], "patient"), "REFUSED");
    assert_string_equal(granted("launch/patient system/*.rs"), "REFUSED");
}

/* What a registration allows an app to be granted. */
static void a_registration_bounds_the_grant(void **state)
{
    (void)state;
    char first[96];
    const char *reading = "launch/patient offline_access patient/*.rs";
    assert_int_equal(scopes_beyond("launch/patient patient/Observation.rs offline_access", reading, first, sizeof first), 0);
    assert_int_equal(scopes_beyond("patient/*.read patient/Observation.r", reading, first, sizeof first), 0);
    assert_int_equal(scopes_beyond("patient/Observation.crs", reading, first, sizeof first), 1);
    assert_string_equal(first, "patient/Observation.crs");
    assert_int_equal(scopes_beyond("launch/patient patient/Observation.rs", "patient/Observation.rs", first, sizeof first), 1);
    assert_string_equal(first, "launch/patient");
    assert_int_equal(scopes_beyond("patient/*.rs", "patient/Observation.rs launch/patient", first, sizeof first), 1);
    assert_int_equal(scopes_beyond("patient/Observation.c", "patient/Observation.crs", first, sizeof first), 0);
    assert_int_equal(scopes_beyond("", reading, first, sizeof first), 0);
    assert_int_equal(scopes_beyond("patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
                                   "observation-category|vital-signs", reading, first, sizeof first),
                     0);
}

/* Granular scopes (v2): Observation narrowed by category to kinds of data. */
static void a_granular_scope_narrows_the_kinds(void **state)
{
    (void)state;
    assert_string_equal(granted_in("patient/Observation.rs?category=vital-signs", "patient"),
                        "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|"
                        "vital-signs");
    const char *lab = granted("system/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
                              "observation-category|laboratory system/MedicationDispense.rs");
    assert_string_equal(lab, "system/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
                             "observation-category|laboratory system/MedicationDispense.rs");
    assert_true(scopes_allow(lab, "Observation", 's'));
    assert_int_equal(scopes_kinds(lab), DATA_KIND_BIT(DK_CHECKUP) | DATA_KIND_BIT(DK_MEDICATION));
    assert_int_equal(scopes_kinds("system/*.rs"), ~(data_kinds)0);
    assert_int_equal(scopes_kinds(granted_in("patient/Observation.rs?category=vital-signs", "patient")),
                     DATA_KINDS_VITALS);
    assert_int_equal(scopes_kinds("system/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
                                  "observation-category|exam system/*.rs"),
                     ~(data_kinds)0);
}

static void a_grant_allows_what_it_names(void **state)
{
    (void)state;
    assert_true(scopes_allow("system/*.rs", "Observation", 'r'));
    assert_true(scopes_allow("system/*.rs", "Patient", 's'));
    assert_true(scopes_allow("system/Observation.read", "Observation", 's'));
    assert_true(scopes_allow("system/Patient.r system/Observation.s", "Observation", 's'));
    assert_false(scopes_allow("system/Patient.r system/Observation.s", "Observation", 'r'));
    assert_false(scopes_allow("system/Patient.rs", "Observation", 'r'));
    assert_false(scopes_allow("system/Observations.rs", "Observation", 'r'));
    assert_false(scopes_allow("", "Observation", 'r'));
    assert_false(scopes_allow("patient/Observation.read", "Observation", 'c'));
    assert_false(scopes_allow("patient/Observation.rs", "Observation", 'c'));
    assert_true(scopes_allow("patient/Observation.crs", "Observation", 'c'));
    assert_true(scopes_allow("patient/*.c", "Observation", 'c'));
    assert_false(scopes_allow(NULL, "Observation", 'r'));
    assert_true(fhir_resource_type("Observation"));
    assert_true(fhir_resource_type("VisionPrescription"));
    assert_false(fhir_resource_type("Observations"));
    assert_false(fhir_resource_type("Resource"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_are_granted_as_asked),
        cmocka_unit_test(writes_are_dropped),
        cmocka_unit_test(anything_unknown_refuses_the_request),
        cmocka_unit_test(an_app_gets_patient_scopes),
        cmocka_unit_test(a_registration_bounds_the_grant),
        cmocka_unit_test(a_granular_scope_narrows_the_kinds),
        cmocka_unit_test(a_grant_allows_what_it_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
