/* Kinds of data in the person's terms: what a purpose of use provides, and
 * the one mapping from what a record is (resource type, category, code
 * system, code) to the kind a person was told about. A purpose that says
 * "vital signs" must never carry checkup results because both are FHIR
 * Observations; so the gate decides on these kinds, never on resource
 * types, and a record that maps to no kind (DK_OTHER) is provided under
 * no purpose at all.
 *
 * Names are stored (records.data_kind, purposes.kinds): a kind is added,
 * never renamed or renumbered. Pure: constant tables only. */
#ifndef PHR_DATA_KINDS_H
#define PHR_DATA_KINDS_H

#include <stddef.h>
#include <stdint.h>

enum data_kind {
    DK_OTHER,             /* maps to nothing a person was told of: provided under no purpose */
    DK_BLOOD_PRESSURE,
    DK_BODY_WEIGHT,
    DK_BODY_HEIGHT,
    DK_BMI,
    DK_BODY_TEMPERATURE,
    DK_OXYGEN_SATURATION,
    DK_HEART_RATE,
    DK_BLOOD_GLUCOSE,
    DK_STEPS,
    DK_CHECKUP,           /* 特定健診 and other checkup results (MHLW item table) */
    DK_MEDICATION,        /* dispensed and taken medicines (お薬手帳) */
    DK_IMMUNIZATION,
    DK_DOCUMENTS,         /* imported files as they came: they hold what their format holds */
    DK_COUNT
};

/* A set of kinds: bit k for kind k. */
typedef uint32_t data_kinds;
_Static_assert(DK_COUNT <= 32, "data_kinds is 32 bits");

#define DATA_KIND_BIT(k) ((data_kinds)1u << (k))
/* Every self-measured vital sign: what the group name "vital-signs" means. */
#define DATA_KINDS_VITALS                                                                                  \
    (DATA_KIND_BIT(DK_BLOOD_PRESSURE) | DATA_KIND_BIT(DK_BODY_WEIGHT) | DATA_KIND_BIT(DK_BODY_HEIGHT) |   \
     DATA_KIND_BIT(DK_BMI) | DATA_KIND_BIT(DK_BODY_TEMPERATURE) | DATA_KIND_BIT(DK_OXYGEN_SATURATION) |   \
     DATA_KIND_BIT(DK_HEART_RATE) | DATA_KIND_BIT(DK_BLOOD_GLUCOSE) | DATA_KIND_BIT(DK_STEPS))

/* The stored name ("blood-pressure", "checkup", "other"). */
const char *data_kind_name(enum data_kind k);
/* The name shown to a person, "ja" or (anything else) English. */
const char *data_kind_label(enum data_kind k, const char *lang);
/* A kind's code system and its i-th code (a vital sign's LOINC codes);
 * NULL past the last or for a kind not told by its codes. */
const char *data_kind_code(enum data_kind k, int i, const char **system);
/* DK_OTHER for a name that is not a kind (or is "other"). */
enum data_kind data_kind_by_name(const char *name);

/* What a record is, as its index columns say. */
enum data_kind data_kind_of(const char *resource_type, const char *category, const char *code_system,
                            const char *code);

/* Every kind a resource type can hold (0: none). */
data_kinds data_kinds_of_type(const char *resource_type);

/* A purpose's kinds, comma-separated names of kinds or of the group
 * "vital-signs", into a set: 0; -1 with the first name that is neither in
 * bad (bad_cap bytes, cut; an empty list is -1 too); -2 if it names
 * documents without every kind a document can hold. */
int data_kinds_parse(const char *list, data_kinds *out, char *bad, size_t bad_cap);

/* The set as the store's filter, ",blood-pressure,checkup," (commas on
 * both ends; "," for the empty set); out must hold DATA_KINDS_FILTER_MAX. */
#define DATA_KINDS_FILTER_MAX 256
void data_kinds_filter(data_kinds set, char out[DATA_KINDS_FILTER_MAX]);

/* Every name a purpose may use, for error messages: "vital-signs,
 * blood-pressure, …" into out (cap bytes, cut if short). */
#define DATA_KINDS_NAMES_MAX 256
void data_kinds_names(char *out, size_t cap);

#endif
