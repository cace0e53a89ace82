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

/* 1 if the text looks like Open mHealth JSON rather than FHIR. */
int omh_sniff(const char *data, size_t len);
/* 0, or -1 with the fault naming the data point and the rule. */
int omh_read(const char *data, size_t len, int64_t now_ms, struct csv_vitals *out, struct fault *fault);
/* A stored vital-sign Observation as an Open mHealth data point into out
 * (what omh_read reads back as the same measurement): 1 written, 0 not
 * one of the schemas above (nothing written), -1 out of memory. */
int omh_write(json_object *obs, struct buf *out);

#endif
