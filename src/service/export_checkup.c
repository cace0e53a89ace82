/* The 健診結果報告書 of one day (eCheckupReport IG): the results found
 * before anything is sent (the Composition, first in a document, lists
 * them), each written with its references resolved inside the document,
 * and the document's head — the Composition, the Patient, and the
 * Encounter at the examining institution its files named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "formats/checkup_fhir.h"
#include "formats/json.h"
#include "formats/patient_write.h"
#include "formats/tokutei_items.h"
#include "service/export_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"

#define ENCOUNTER_PROFILE "http://jpfhir.jp/fhir/eCheckup/StructureDefinition/JP_Encounter_eCheckupGeneral"

/* A checkup result of the day asked for: an Observation coded with the
 * MHLW item table, dated that day. */
int export_of_checkup(const struct export *e, const struct record_row *r)
{
    return r->current && !strcmp(r->resource_type, "Observation") &&
           !strcmp(r->code_system, "urn:oid:" TOKUTEI_ITEM_OID) && r->effective_start >= e->day_lo &&
           r->effective_start <= e->day_hi;
}

/* The examining institution: the author a file of the day's checkup
 * names (its DocumentReference keeps it contained), the first found. */
static int institution_of(struct export *e, const struct record_row *r)
{
    int err = snapshot_open_part(&e->snap, r, "body");
    if (err)
        return err == PHR_ECRYPTO ? PHR_OK : err; /* logged, and left out */
    json_object *doc = json_tokener_parse(buf_cstr(&e->snap.plain)), *contained, *org;
    buf_wipe(&e->snap.plain);
    const char *type;
    if (doc && json_object_object_get_ex(doc, "contained", &contained) &&
        json_object_is_type(contained, json_type_array) && (org = json_object_array_get_idx(contained, 0)) &&
        json_object_is_type(org, json_type_object) && (type = json_get_str(org, "resourceType")) &&
        !strcmp(type, "Organization")) {
        e->institution = json_object_get(org);
        json_object_object_del(e->institution, "id");
    }
    json_object_put(doc);
    return PHR_OK;
}

/* A CDA keeps the result itself (it is written whole); a 健診結果報告書
 * its id, and the institution for its Encounter. */
static int collect_checkup(void *arg, const struct record_row *r)
{
    struct export *e = arg;
    if ((e->format == EXPORT_CHECKUP || e->format == EXPORT_CDA) && !e->institution && r->current &&
        !strcmp(r->resource_type, "DocumentReference") && r->effective_start <= e->day_hi &&
        r->effective_end >= e->day_lo)
        return institution_of(e, r);
    if (!export_of_checkup(e, r))
        return PHR_OK;
    if (e->format == EXPORT_CDA) {
        int err = snapshot_open_part(&e->snap, r, "body");
        if (err)
            return err == PHR_ECRYPTO ? PHR_OK : err; /* logged, and left out */
        json_object *o = json_tokener_parse(buf_cstr(&e->snap.plain));
        buf_wipe(&e->snap.plain);
        return o ? export_keep(e, o) : PHR_EIO;
    }
    struct buf *to = tokutei_item_is_question(r->code) ? &e->questions : &e->ids;
    return buf_puts(to, to->len ? "," : "") || buf_puts(to, r->id) ? PHR_ENOMEM : PHR_OK;
}

/* The day's results, before anything is sent: the Composition, first in a
 * document, lists them. */
int export_find_checkup(struct export *e)
{
    int64_t cursor = 0, before;
    do {
        before = cursor;
        int err = store_record_page(e->snap.rd, e->snap.person, 1, cursor, PAGE, collect_checkup, e, &cursor);
        if (err)
            return err;
    } while (cursor != before);
    return e->ids.len || e->questions.len || e->nfound ? PHR_OK : PHR_ENOTFOUND;
}

/* A result in the document: its references resolved inside the Bundle
 * (the person by the Patient entry's URN; the file it came from is not in
 * the document). */
int export_checkup_entry(struct buf *b, const struct export *e, const struct record_row *r, struct buf *plain)
{
    json_object *o = json_tokener_parse(buf_cstr(plain));
    if (!o)
        return PHR_EIO;
    char ref[64];
    snprintf(ref, sizeof ref, "urn:uuid:%s", e->snap.person);
    json_object *subj = json_object_new_object();
    json_object_object_add(subj, "reference", json_object_new_string(ref));
    json_object_object_add(o, "subject", subj);
    json_object_object_del(o, "derivedFrom");
    /* Results stored before they declared the IG's profile declare it here. */
    json_object *meta, *profile = json_object_new_array();
    if (json_object_object_get_ex(o, "meta", &meta) && !json_object_object_get_ex(meta, "profile", NULL) && profile) {
        json_object_array_add(profile, json_object_new_string(CHECKUP_OBSERVATION_PROFILE));
        json_object_object_add(meta, "profile", profile);
    } else {
        json_object_put(profile);
    }
    size_t n;
    const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    int err = !s || buf_printf(b, ",{\"fullUrl\":\"urn:uuid:%s\",\"resource\":", r->id) || buf_append(b, s, n) ||
                      buf_puts(b, "}")
                  ? PHR_ENOMEM
                  : PHR_OK;
    json_object_put(o);
    return err;
}

/* A section of the document listing the results whose ids are in ids
 * (nothing when there are none). */
static int section(struct buf *b, const char *title, const char *code, const char *display, struct buf *ids,
                   int comma)
{
    if (!ids->len)
        return 0;
    int err = buf_printf(b,
                         "%s{\"title\":\"%s\",\"code\":{\"coding\":[{\"system\":\"http://jpfhir.jp/fhir/eCheckup/"
                         "CodeSystem/section-code\",\"code\":\"%s\",\"display\":\"%s\"}]},\"entry\":[",
                         comma ? "," : "", title, code, display);
    for (const char *p = buf_cstr(ids); !err && *p;) {
        size_t n = strcspn(p, ",");
        err = buf_printf(b, "%s{\"reference\":\"urn:uuid:%.*s\"}", p == buf_cstr(ids) ? "" : ",", (int)n, p);
        p += n + (p[n] == ',');
    }
    return err || buf_puts(b, "]}");
}

/* The institution and the Encounter (JP_Encounter_eCheckupGeneral: the
 * checkup, that day, at that institution), entries of the document. */
static int encounter(struct export *e, struct buf *b, const char *enc, const char *now)
{
    char org[ID_LEN + 1];
    id_uuid7(org);
    size_t n;
    json_object_object_add(e->institution, "id", json_object_new_string(org));
    /* Kept contained, it lost its own version (dom-4); an entry of the
     * document has one again: the document's making. */
    json_object *meta;
    if (json_object_object_get_ex(e->institution, "meta", &meta) && json_object_is_type(meta, json_type_object))
        json_object_object_add(meta, "lastUpdated", json_object_new_string(now));
    const char *s =
        json_object_to_json_string_length(e->institution, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    return !s ||
           buf_printf(b,
                      ",{\"fullUrl\":\"urn:uuid:%s\",\"resource\":{\"resourceType\":\"Encounter\",\"id\":\"%s\","
                      "\"meta\":{\"lastUpdated\":\"%s\",\"profile\":[\"" ENCOUNTER_PROFILE "\"]},\"status\":"
                      "\"finished\",\"class\":{\"system\":\"http://jpfhir.jp/fhir/eCheckup/CodeSystem/"
                      "encounter-category\",\"code\":\"checkup\",\"display\":\"健診\"},\"subject\":{\"reference\":"
                      "\"urn:uuid:%s\"},\"period\":{\"start\":\"%s\",\"end\":\"%s\"},\"serviceProvider\":"
                      "{\"reference\":\"urn:uuid:%s\"}}},{\"fullUrl\":\"urn:uuid:%s\",\"resource\":",
                      enc, enc, now, e->snap.person, e->day, e->day, org, org) ||
           buf_append(b, s, n) || buf_puts(b, "}");
}

/* The 健診結果報告書 document's head: the Bundle, the Composition listing
 * the day's results (as the eCheckupReport IG's sample does), the Patient,
 * and the Encounter with its institution when a file of the day named it. */
int export_checkup_head(struct export *e, struct buf *b, const char *now)
{
    char bundle[ID_LEN + 1], comp[ID_LEN + 1], enc[ID_LEN + 1], enc_ref[96] = "", detail[96] = "";
    id_uuid7(bundle);
    id_uuid7(comp);
    id_uuid7(enc);
    if (e->institution) {
        snprintf(enc_ref, sizeof enc_ref, "\"encounter\":{\"reference\":\"urn:uuid:%s\"},", enc);
        snprintf(detail, sizeof detail, ",\"detail\":[{\"reference\":\"urn:uuid:%s\"}]", enc);
    }
    int err = buf_printf(b,
                         "{\"resourceType\":\"Bundle\",\"identifier\":{\"system\":\"urn:ietf:rfc:3986\",\"value\":"
                         "\"urn:uuid:%s\"},\"type\":\"document\",\"timestamp\":\"%s\",\"entry\":[{\"fullUrl\":"
                         "\"urn:uuid:%s\",\"resource\":{\"resourceType\":\"Composition\",\"id\":\"%s\",\"language\":"
                         "\"ja\",\"extension\":[{\"url\":\"http://hl7.org/fhir/StructureDefinition/composition-"
                         "clinicaldocument-versionNumber\",\"valueString\":\"1.0\"}],\"identifier\":{\"system\":"
                         "\"http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier\",\"value\":\"%s\"},"
                         "\"status\":\"final\",\"type\":{\"coding\":[{\"system\":\"http://jpfhir.jp/fhir/Common/"
                         "CodeSystem/doc-typecodes\",\"code\":\"53576-5\",\"display\":\"検診・健診報告書\"}]},\"category\":"
                         "[{\"coding\":[{\"system\":\"urn:oid:1.2.392.200119.6.1001\",\"code\":\"10\",\"display\":"
                         "\"特定健診\"}]}],\"subject\":{\"reference\":\"urn:uuid:%s\"},%s\"date\":\"%s\",\"author\":"
                         "[{\"display\":\"PHR service (the person's export)\"}],\"title\":\"健康診断結果 %s\",\"event\":"
                         "[{\"code\":[{\"coding\":[{\"system\":\"urn:oid:1.2.392.200119.6.1002\",\"code\":\"010\","
                         "\"display\":\"特定健診\"}]}],\"period\":{\"start\":\"%s\",\"end\":\"%s\"}%s}],\"section\":[",
                         bundle, now, comp, comp, comp, e->snap.person, enc_ref, now, e->day, e->day, e->day, detail);
    /* As the IG's sample files them: the 問診 answers in their own section. */
    err = err || section(b, "健診セクション", "01011", "特定健診検査結果セクション", &e->ids, 0);
    err = err || section(b, "問診結果セクション", "01012", "特定健診問診結果セクション", &e->questions, e->ids.len > 0);
    err = err || buf_printf(b, "]}},{\"fullUrl\":\"urn:uuid:%s\",\"resource\":", e->snap.person) ||
          patient_fhir(e->has_person ? &e->person : NULL, e->snap.person, clock_now_ms(), b) || buf_puts(b, "}");
    return err || (e->institution && encounter(e, b, enc, now));
}
