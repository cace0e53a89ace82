/* GET /fhir/metadata: the CapabilityStatement, every type, interaction,
 * search parameter and operation served, said once here. */
#include <stdio.h>
#include <string.h>

#include "formats/vital_codes.h"
#include "http/internal.h"

/* What every record type's search takes besides its own parameters
 * (formats/search.c, docs/fhir.md). */
#define PAGING                                                                                                   \
    "{\"name\":\"_id\",\"type\":\"token\",\"documentation\":\"ids, comma-separated; :not\"},"                      \
    "{\"name\":\"_lastUpdated\",\"type\":\"date\",\"documentation\":\"when the version was written; prefixes eq ne "  \
    "gt lt ge le sa eb ap\"},"                                                                                     \
    "{\"name\":\"_count\",\"type\":\"number\",\"documentation\":\"at most 500 a page (more is clamped); the "      \
    "Bundle's links page on: they hold while records are added or corrected (the records as they stood at the "   \
    "first page), for a day, to the caller that got them\"},"                                                       \
    "{\"name\":\"_sort\",\"type\":\"string\",\"documentation\":\"up to three of date, _lastUpdated, code, _id, "    \
    "- for descending; -date by default\"},"                                                                        \
    "{\"name\":\"_total\",\"type\":\"token\",\"documentation\":\"accurate counts every match; otherwise total is " \
    "given when the first page is the last\"},"                                                                     \
    "{\"name\":\"_summary\",\"type\":\"token\",\"documentation\":\"count, true (R4's summary elements, tagged "     \
    "SUBSETTED), data, text, false\"},"                                                                             \
    "{\"name\":\"_elements\",\"type\":\"string\",\"documentation\":\"root elements, comma-separated; tagged "       \
    "SUBSETTED\"}"
#define DATE_PARAM                                                                                               \
    "{\"name\":\"date\",\"type\":\"date\",\"documentation\":\"prefixes eq ne gt lt ge le sa eb ap; any precision; "  \
    "a time without a zone is read in the service's zone\"}"
#define PATIENT_PARAM "{\"name\":\"patient\",\"type\":\"reference\"}"
#define CODE_PARAM                                                                                               \
    "{\"name\":\"code\",\"type\":\"token\",\"documentation\":\"[system|]code, comma-separated (any of), repeated "  \
    "(all of); |code: no system; system|: any code of it; :not; :text (Observation): words of the code's name "  \
    "(the vital kinds in Japanese and English, the MHLW checkup items)\"}"

/* date: when what is served last changed (issue 20's search, conditional
 * requests and transactions). */
void route_fhir_metadata(struct request *r)
{
    int n;
    const struct vital_rule *k = vital_codes_rules(&n);
    struct buf *b = &r->resp;
    buf_puts(b, "{\"resourceType\":\"CapabilityStatement\",\"status\":\"active\",\"date\":\"2026-12-07\","
                "\"kind\":\"instance\",\"instantiates\":[\"http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/"
                "bulk-data\"],\"software\":{\"name\":\"phr\",\"version\":\"" PHR_VERSION "\"},"
                "\"implementation\":{\"description\":\"PHR service\",\"url\":");
    buf_json_str(b, req_base_url(r));
    buf_puts(b, "},\"fhirVersion\":\"4.0.1\",\"format\":[\"application/fhir+json\",\"json\"],"
                "\"rest\":[{\"mode\":\"server\",\"security\":{\"cors\":true,\"extension\":[{\"url\":"
                "\"http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris\",\"extension\":[");
    static const struct {
        const char *name, *path;
    } uris[] = {{"authorize", "/api/v1/authorize"}, {"token", "/api/v1/token"}, {"revoke", "/api/v1/revoke"},
                {"introspect", "/api/v1/introspect"}};
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
        char url[300];
        req_own_url(r, uris[i].path, url, sizeof url);
        buf_printf(b, "%s{\"url\":\"%s\",\"valueUri\":", i ? "," : "", uris[i].name);
        buf_json_str(b, url);
        buf_puts(b, "}");
    }
    buf_puts(b, "]}],\"service\":[{\"coding\":[{"
                "\"system\":\"http://terminology.hl7.org/CodeSystem/restful-security-service\","
                "\"code\":\"SMART-on-FHIR\"}],\"text\":\"SMART App Launch (standalone patient launch, code with "
                "PKCE S256) for apps a person approves in the portal; SMART Backend Services (client_credentials "
                "with private_key_jwt or a client secret) for other providers' systems; a person's bearer session "
                "from POST /api/v1/login\"}],"
                "\"description\":\"A person reaches only their own records; another provider's client reads "
                "only what its token's scopes name and a live consent provides to it.\"},"
                "\"resource\":[{\"type\":\"Observation\",\"conditionalRead\":\"full-support\","
                "\"supportedProfile\":[\"http://hl7.org/fhir/StructureDefinition/vitalsigns\","
                "\"http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_VitalSigns\"],"
                "\"documentation\":\"Self-measured vital signs. Supported LOINC codes:");
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s %s (%s)", i ? "," : "", k[i].k.code, k[i].k.display);
    buf_puts(b, ".\",\"interaction\":[{\"code\":\"read\"},{\"code\":\"vread\"},{\"code\":\"update\"},"
                "{\"code\":\"history-instance\"},{\"code\":\"create\"},{\"code\":\"search-type\"}],"
                "\"versioning\":\"versioned-update\",\"readHistory\":true,\"updateCreate\":false,"
                "\"conditionalCreate\":true,\"conditionalUpdate\":true,"
                "\"searchInclude\":[\"Observation:patient\",\"Observation:subject\",\"Observation:derived-from\"],"
                "\"searchRevInclude\":[\"Provenance:target\"],"
                "\"searchParam\":[" PATIENT_PARAM "," CODE_PARAM "," DATE_PARAM ","
                "{\"name\":\"category\",\"type\":\"token\",\"documentation\":\"observation-category codes, "
                "comma-separated; :not\"},{\"name\":\"identifier\",\"type\":\"token\",\"documentation\":\"the "
                "first identifier, system|value; what If-None-Exist and PUT Observation?identifier=… name\"},"
                "{\"name\":\"value-quantity\",\"definition\":\"http://hl7.org/fhir/SearchParameter/"
                "Observation-value-quantity\",\"type\":\"quantity\",\"documentation\":\"[prefix]number[|system|"
                "unit]; values are sealed at rest, so each record the other parameters find is opened and "
                "tested: narrow by code or date\"},"
                "{\"name\":\"component-code\",\"definition\":\"http://hl7.org/fhir/SearchParameter/"
                "Observation-component-code\",\"type\":\"token\"},"
                "{\"name\":\"component-value-quantity\",\"definition\":\"http://hl7.org/fhir/SearchParameter/"
                "Observation-component-value-quantity\",\"type\":\"quantity\"},"
                "{\"name\":\"component-code-value-quantity\",\"definition\":\"http://hl7.org/fhir/"
                "SearchParameter/Observation-component-code-value-quantity\",\"type\":\"composite\"},"
                "{\"name\":\"combo-code-value-quantity\",\"definition\":\"http://hl7.org/fhir/SearchParameter/"
                "Observation-combo-code-value-quantity\",\"type\":\"composite\"},"
                PAGING "]},"
                "{\"type\":\"AllergyIntolerance\",\"conditionalRead\":\"full-support\",\"supportedProfile\":[\"http://jpfhir.jp/"
                "fhir/core/StructureDefinition/JP_AllergyIntolerance\"],\"documentation\":\"Allergies and side effects, from "
                "imported お薬手帳 texts (患者特記) and FHIR files.\",\"interaction\":[{\"code\":\"read\"},{\"code\":\"vread\"},"
                "{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],\"searchInclude\":[\"AllergyIntolerance:patient\"],"
                "\"searchRevInclude\":[\"Provenance:target\"],\"searchParam\":[" PATIENT_PARAM "," CODE_PARAM "," DATE_PARAM
                "," PAGING "]},"
                "{\"type\":\"MedicationRequest\",\"conditionalRead\":\"full-support\",\"supportedProfile\":[\"http://jpfhir.jp/fhir/core/"
                "StructureDefinition/JP_MedicationRequest\"],\"documentation\":\"Prescriptions, from imported FHIR files "
                "(JP Core, the ePrescription IG; POST /api/v1/imports).\",\"interaction\":[{\"code\":\"read\"},"
                "{\"code\":\"vread\"},{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],"
                "\"searchInclude\":[\"MedicationRequest:patient\"],\"searchRevInclude\":[\"Provenance:target\"],\"searchParam\":[" PATIENT_PARAM "," CODE_PARAM ","
                DATE_PARAM "," PAGING "]},"
                "{\"type\":\"MedicationDispense\",\"conditionalRead\":\"full-support\",\"supportedProfile\":[\"http://jpfhir.jp/fhir/core/"
                "StructureDefinition/JP_MedicationDispense\"],\"documentation\":\"Medicines dispensed, from "
                "imported お薬手帳 texts and FHIR files (POST /api/v1/imports).\",\"interaction\":[{\"code\":\"read\"},"
                "{\"code\":\"vread\"},{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],"
                "\"searchInclude\":[\"MedicationDispense:patient\"],\"searchRevInclude\":[\"Provenance:target\"],\"searchParam\":[" PATIENT_PARAM "," CODE_PARAM ","
                DATE_PARAM "," PAGING "]},"
                "{\"type\":\"MedicationStatement\",\"conditionalRead\":\"full-support\",\"documentation\":\"Medicines the person takes (OTC ones among "
                "them), from imported お薬手帳 texts and FHIR files.\",\"interaction\":[{\"code\":\"read\"},{\"code\":\"vread\"},"
                "{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],\"searchInclude\":[\"MedicationStatement:patient\"],\"searchRevInclude\":[\"Provenance:target\"],"
                "\"searchParam\":[" PATIENT_PARAM "," CODE_PARAM "," DATE_PARAM "," PAGING "]},"
                "{\"type\":\"Immunization\",\"conditionalRead\":\"full-support\",\"supportedProfile\":[\"http://jpfhir.jp/fhir/core/StructureDefinition/"
                "JP_Immunization\"],\"documentation\":\"Vaccinations, from imported FHIR files.\",\"interaction\":[{"
                "\"code\":\"read\"},{\"code\":\"vread\"},{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],"
                "\"searchInclude\":[\"Immunization:patient\"],\"searchRevInclude\":[\"Provenance:target\"],\"searchParam\":[" PATIENT_PARAM "," CODE_PARAM "," DATE_PARAM
                "," PAGING "]},"
                "{\"type\":\"DocumentReference\",\"conditionalRead\":\"full-support\",\"documentation\":\"Each imported file (特定健診 CDA, FHIR file, "
                "お薬手帳 text, CSV, SPHR package) as it came: GET /fhir/Binary/{id} (or /api/v1/me/documents/{id}/original) "
                "gives its bytes unchanged.\",\"interaction\":[{\"code\":\"read\"},{\"code\":\"vread\"},{\"code\":"
                "\"history-instance\"},{\"code\":\"search-type\"}],\"searchInclude\":[\"DocumentReference:patient\"],\"searchRevInclude\":[\"Provenance:target\"],"
                "\"searchParam\":[" PATIENT_PARAM "," DATE_PARAM "," PAGING "]},"
                "{\"type\":\"Binary\",\"documentation\":\"An imported file's bytes as it came, by its "
                "DocumentReference's id: the url a Bulk export's DocumentReference gives; to the person, and to a "
                "client whose consent covers documents.\",\"interaction\":[{\"code\":\"read\"}]},"
                "{\"type\":\"Consent\",\"documentation\":\"The person's consent ledger, one Consent per decision; "
                "decisions are made with POST /api/v1/me/consents.\",\"interaction\":[{\"code\":\"search-type\"}],"
                "\"searchParam\":[{\"name\":\"patient\",\"type\":\"reference\"}]},"
                "{\"type\":\"Provenance\",\"documentation\":\"Provision records: which records went to which "
                "recipient, when, under which purpose and consent.\",\"interaction\":[{\"code\":\"search-type\"}],"
                "\"searchParam\":[{\"name\":\"patient\",\"type\":\"reference\"}]},"
                "{\"type\":\"AuditEvent\",\"documentation\":\"Who else touched the person's data, newest first "
                "(at most 500); actors are shown by role.\",\"interaction\":[{\"code\":\"search-type\"}],"
                "\"searchParam\":[{\"name\":\"patient\",\"type\":\"reference\"}]},"
                "{\"type\":\"Group\",\"documentation\":\"A recipient group (its code, e.g. demo-partners) is the "
                "Group of the persons whose consent provides their data to its members: a member's $export on it "
                "gives them alone.\",\"operation\":[{\"name\":\"export\",\"definition\":"
                "\"http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export\"}]},"
                "{\"type\":\"Patient\",\"documentation\":\"The signed-in person, by id; $everything gives them and "
                "every current record of theirs as a searchset, paged as any search (_count, _since, _type, start, "
                "end; the Patient on the first page). A recipient's $export gives, as NDJSON, "
                "the records of every person whose consent provides them to it; its $sphr on one of them, that "
                "person's SPHR package (zip) with what their consent provides to it. $phr-export (HL7's PHR IG) "
                "gives the record as outputFormat asks: bundle ($everything), ndjson or phr (a .phr file) or sphr "
                "(the package); a recipient, sphr only.\",\"interaction\":[{\"code\":"
                "\"read\"},{\"code\":\"search-type\",\"documentation\":\"the caller's own (an app's person), or "
                "the one _id names; nothing found for anyone else\"}],\"searchParam\":[{\"name\":\"_id\","
                "\"type\":\"token\"}],\"operation\":[{\"name\":\"everything\","
                "\"definition\":\"http://hl7.org/fhir/OperationDefinition/Patient-everything\"},{\"name\":\"export\","
                "\"definition\":\"http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export\"},{\"name\":"
                "\"sphr\",\"definition\":\"urn:phr:OperationDefinition/Patient-sphr\"},{\"name\":\"phr-export\","
                "\"definition\":\"http://hl7.org/fhir/uv/phr/OperationDefinition/phr-export\"}]}],"
                "\"interaction\":[{\"code\":\"transaction\",\"documentation\":\"POST /fhir: Observation writes "
                "(POST, PUT by id or by search), all or nothing; urn:uuid references resolved; at most 100 entries\"},"
                "{\"code\":\"batch\",\"documentation\":\"the same writes, each answered on its own\"},"
                "{\"code\":\"search-system\",\"documentation\":\"GET /fhir: every record type at once (_type "
                "narrows), with the parameters common to them, paged as any search\"}],"
                "\"searchParam\":[{\"name\":\"_type\",\"type\":\"token\",\"documentation\":\"record types, "
                "comma-separated\"},{\"name\":\"_id\",\"type\":\"token\"},{\"name\":\"_lastUpdated\","
                "\"type\":\"date\"},{\"name\":\"date\",\"type\":\"date\"},{\"name\":\"patient\",\"type\":\"reference\"}],"
                "\"operation\":[{\"name\":\"export\","
                "\"definition\":\"http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export\"}]}]}");
    req_reply(r, 200, FHIR_TYPE);
}
