/* Which vital sign an Observation's code names, and in which unit its value
 * is given, however a sender codes them: LOINC (HL7's vital-signs
 * profiles), JP Core's body-measurement codes and the MEDIS nursing
 * observation codes (JP Core 1.1's OIDs and CodeSystem URLs, 1.2's MEDIS
 * URLs), units as UCUM codes or as a unit text that names one unit only.
 *
 * Pure tables; docs/interop.md lists what each code maps to and why. */
#ifndef PHR_VITAL_CODES_H
#define PHR_VITAL_CODES_H

#include <json-c/json.h>

#include "formats/vitals.h"

/* A UCUM unit accepted for a kind, and how to bring a value in it to the
 * kind's canonical unit: canonical = (value + offset) * factor. */
struct vital_unit {
    const char *ucum;
    double factor, offset;
};

#define VITAL_MAX_UNITS 4

struct vital_rule {
    struct vital_kind k;
    struct vital_unit units[VITAL_MAX_UNITS];
    double min, max;          /* plausible range in the canonical (first) unit */
    int panel;                /* blood pressure: values in components */
};

enum { VITAL_SYSTOLIC, VITAL_DIASTOLIC };

/* The rule of the kind a CodeableConcept names, or NULL. A coding's
 * system it does not know is passed over: a local code beside a known one
 * is normal. */
const struct vital_rule *vital_codes_rule(json_object *code);
/* VITAL_SYSTOLIC or VITAL_DIASTOLIC for a blood pressure component's code, or -1. */
int vital_codes_bp_part(json_object *code);
/* The LOINC code of a blood pressure part. */
const char *vital_codes_bp_loinc(int part);
/* All rules, for the list of kinds. */
const struct vital_rule *vital_codes_rules(int *n);

/* The UCUM code a Quantity is in: its code when its system is UCUM; when
 * it has no system, its code or unit text if that names one UCUM unit
 * ("mmHg", "℃", "回/分", "kg"). NULL otherwise. */
const char *vital_codes_ucum(json_object *quantity);
/* Whether the Quantity names a system other than UCUM (refused: a unit of
 * another system cannot be compared). */
int vital_codes_foreign_unit(json_object *quantity);

/* What the service adds so that a resource coded otherwise is found and
 * read as its kind: the LOINC coding when the CodeableConcept lacks it,
 * and UCUM's system and code when a Quantity gave a unit text only. What
 * was sent is kept as sent. */
void vital_codes_add_loinc(json_object *code, const char *loinc, const char *display);
void vital_codes_add_ucum(json_object *quantity);

#endif
