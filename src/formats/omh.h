/* Open mHealth data points: what phone apps and device clouds export, one
 * data point or an array of them, e.g.
 *
 *   {"header": {"schema_id": {"namespace": "omh", "name": "blood-pressure", "version": "3.1"}, ...},
 *    "body": {"systolic_blood_pressure": {"value": 120, "unit": "mmHg"},
 *             "diastolic_blood_pressure": {"value": 80, "unit": "mmHg"},
 *             "effective_time_frame": {"date_time": "2026-11-24T07:30:00+09:00"}}}
 *
 * Each becomes the same checked vital-sign Observation a device's CSV gives
 * (formats/device_csv.h), source "device". The schemas read: blood-pressure,
 * body-weight, body-height, heart-rate, body-temperature, blood-glucose,
 * oxygen-saturation and step-count; a data point of any other is refused
 * with its index, and so is the whole file. */
#ifndef PHR_OMH_H
#define PHR_OMH_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "formats/device_csv.h"
#include "formats/sphr.h"

/* 1 if the text looks like Open mHealth JSON rather than FHIR. */
int omh_sniff(const char *data, size_t len);
/* 0, or -1 with the fault naming the data point and the rule. */
int omh_read(const char *data, size_t len, int64_t now_ms, struct csv_vitals *out, struct fault *fault);
/* A stored vital-sign Observation as an Open mHealth data point into out
 * (what omh_read reads back as the same measurement): 1 written, 0 not
 * one of the schemas above (nothing written), -1 out of memory. */
int omh_write(json_object *obs, struct buf *out);

/* The PHRC module's files: one per schema it reads (and per modality),
 * {"header":{"uuid","source_creation_date_time","schema_id","modality"},
 *  "body":[…]}, a step count as IEEE 1752's physical activity. */
enum omh_phrc { OMH_PHRC_BP, OMH_PHRC_WEIGHT, OMH_PHRC_TEMPERATURE, OMH_PHRC_SPO2, OMH_PHRC_STEPS, OMH_PHRC_KINDS };
/* Adds a stored vital sign's body to its kind's list in bodies: the kind,
 * -2 when it is none of them (nothing added), or -1 out of memory. */
int omh_phrc_add(json_object *obs, struct buf bodies[OMH_PHRC_KINDS]);
/* The whole file of a kind around its bodies: 0, or -1. */
int omh_phrc_file(enum omh_phrc kind, const char *uuid, const char *created, const char *modality,
                  const struct buf *bodies, struct buf *out);
/* Its PHRC document type, and the stem of its file's name. */
const struct sphr_doctype *omh_phrc_type(enum omh_phrc kind);
const char *omh_phrc_stem(enum omh_phrc kind);

#endif
