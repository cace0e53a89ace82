// Every FHIR sample of the outside material (JP Core 1.1.2's 48 examples,
// HL7 FHIR R4's 212, the 健診結果報告書 sample; copied under
// tests/fixtures) imported as a file (R4.2): each is imported, or refused
// with the reason this table states. A sample without a stated outcome
// fails the test, so a new sample is looked at, not passed over.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { startServer, call, signupAndLogin, importFile, recordCount, searchAs } from './helpers.mjs';

const folders = ['jpfhir/jp-core-1.1.2-examples', 'hl7-r4-examples'];
const samples = folders.flatMap((f) => readdirSync(new URL(`../fixtures/${f}`, import.meta.url))
  .filter((n) => n.endsWith('.json')).map((n) => ({ name: n, path: new URL(`../fixtures/${f}/${n}`, import.meta.url) })))
  .concat([{ name: 'eCheckupReport-Sample-01.json', path: new URL('../fixtures/eCheckupReport-Sample-01.json', import.meta.url) }]);

const NOT_A_RECORD = /nothing to import: the file \(\w+\) holds no record/;
const NOT_IMPORTED = /entry \d+: \w+ is not imported \(Observation, AllergyIntolerance, MedicationRequest, MedicationDispense, MedicationStatement and Immunization are\)/;
const NOT_KEPT = /entry 0: the Observation .* is neither a 特定健診 item .* nor a vital sign this service keeps/;
const vital = { records: 1, vital_signs: 1 };
const medication = { records: 1, medications: 1 };

// The first rule whose pattern matches a file's name states its outcome:
// what is imported (the counts the answer gives) or the reason it is refused.
const outcomes = [
  // JP Core: its own codes (body-measurement, JLAC10 under MEDIS's OID) are understood.
  [/^Observation-jp-observation-bodyMeasurement-/, vital],
  [/^Observation-jp-observation-labresult-/, { records: 1, checkup_results: 1 }],
  // 呼吸数 (MEDIS 31001369), a physical finding and a smoking index: kinds the service does not keep.
  [/^Observation-jp-observation-(vitalsigns|physicalexam|socialhistory)-/, NOT_KEPT],
  [/^Immunization-/, { records: 1, immunizations: 1 }],
  [/^AllergyIntolerance-/, { records: 1, allergies: 1 }],
  // A dispense whose medicine is a contained Medication without a code (an injection, a compound) is kept as such.
  [/^MedicationDispense-meddisp008\.json$/, /when it happened is missing or not a FHIR dateTime \(whenHandedOver/],
  [/^MedicationDispense-/, medication],
  [/^MedicationStatement-example007\.json$/, /when it happened is missing or not a FHIR dateTime/],
  // A prescription's medicine named by a Medication elsewhere (not contained) cannot be read from the file alone.
  [/^MedicationRequest-medrx002\.json$/, /medicationReference must name a Medication contained in the resource \(#id\) or carried in the same Bundle/],
  [/^MedicationRequest-/, medication],
  [/^MedicationStatement-/, medication],
  // HL7's vital signs, and a hospital's glucose result (stored as a laboratory result, below).
  [/^Observation-(blood-pressure|bmi|bmi-using-related|body-height|body-length|body-temperature|example|f001|heart-rate|satO2)\.json$/, vital],
  [/^Observation-blood-pressure-cancel\.json$/, /status 'cancelled' is not accepted/],
  [/^Observation-f202\.json$/, /status 'entered-in-error' is not accepted/],
  // A pressure with one part not measured is kept with its reason; a reading without any value is not.
  [/^Observation-blood-pressure-dar\.json$/, vital],
  [/^Observation-unsat\.json$/, /element 'dataAbsentReason' is not supported/],
  [/^Observation-/, NOT_KEPT],
  // Resources that give context only: alone they hold no record.
  // A lab's DiagnosticReport, its order and specimen are context too: a report's results are imported as their codes allow.
  [/^(Patient|Practitioner|PractitionerRole|Organization|Location|Encounter|Coverage|Medication|OperationOutcome|DiagnosticReport|Specimen)-/, NOT_A_RECORD],
  [/^(Condition|Endpoint|FamilyMemberHistory|ImagingStudy|Media|MedicationAdministration|Procedure|CapabilityStatement|TestScript)-/, NOT_IMPORTED],
  // Bundles: a searchset is imported like a collection; batches and responses hold requests, not records.
  [/^Bundle-bundle-(request|response)/, /the Bundle's type must be document, collection, searchset or transaction, not (batch|batch-response|transaction-response)/],
  [/^Bundle-bundle-search-warning\.json$/, NOT_A_RECORD],
  // Its MedicationRequest names an included Medication that has neither code nor ingredients.
  [/^Bundle-bundle-example\.json$/, /entry 0 \(MedicationRequest\): medicationCodeableConcept needs a coding .* or a contained Medication with a code or ingredients/],
  [/^Bundle-bundle-references\.json$/, /entry 2: Glucose \[Moles\/volume\] in Blood needs a valueQuantity/],
  [/^Bundle-bundle-transaction\.json$/, /entry 5 has no resource/],
  // f001's report holds its results inside (contained), lipids' are LOINC-coded lab tests not kept.
  [/^Bundle-f001\.json$/, NOT_A_RECORD],
  [/^Bundle-lipids\.json$/, /entry 1: the Observation http:\/\/loinc.org\|35200-5 .* is neither a 特定健診 item/],
  [/^Bundle-Bundle-eCheckupReport-|^eCheckupReport-Sample-01\.json$/, { records: 44, checkup_results: 44 }],
];

const outcomeOf = (name) => outcomes.find(([pattern]) => pattern.test(name))?.[1];

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const upload = (who, text) => importFile(srv, who, text, 'application/fhir+json');

test('R4.2 every sample has a stated outcome', () => {
  assert.ok(samples.length >= 261, `${samples.length} samples found`);
  const unstated = samples.filter((s) => !outcomeOf(s.name)).map((s) => s.name);
  assert.deepEqual(unstated, []);
});

test('R4.2 R2.9 each sample is imported with the records stated, or refused for the reason stated and nothing is stored', async () => {
  const me = await signupAndLogin(srv);
  let stored = 0;
  const wrong = [];
  for (const s of samples) {
    const want = outcomeOf(s.name);
    const r = await upload(me, readFileSync(s.path, 'utf8'));
    if (want instanceof RegExp) {
      if (r.status !== 422 || !want.test(r.body.detail)) wrong.push(`${s.name}: ${r.status} ${r.body.detail ?? ''}`);
    } else if (r.status !== 201) {
      wrong.push(`${s.name}: ${r.status} ${r.body.detail}`);
    } else {
      if (!r.body.duplicate) stored += r.body.records + 1;
      for (const [k, v] of Object.entries(want)) if (!r.body.duplicate && r.body[k] !== v) wrong.push(`${s.name}: ${k} ${r.body[k]}, not ${v}`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.equal(recordCount(srv, me), stored, 'the records and a document per imported file, nothing of a refused one');
});

const read = (folder, name) => readFileSync(new URL(`../fixtures/${folder}/${name}`, import.meta.url), 'utf8');

test('R4.2 R1.1 JP Core\'s body measurement: its own codes and unit text kept, LOINC and UCUM added; measured at a hospital: category 1', async () => {
  const me = await signupAndLogin(srv);
  const text = read('jpfhir/jp-core-1.1.2-examples', 'Observation-jp-observation-bodyMeasurement-example-1.json');
  const sent = JSON.parse(text);
  assert.equal((await upload(me, text)).status, 201);
  const [o] = await searchAs(srv, me, 'Observation', '?code=http://loinc.org|29463-7');
  assert.deepEqual(o.code.coding.slice(0, 2), sent.code.coding, 'the codes sent, as sent');
  assert.deepEqual(o.code.coding[2], { system: 'http://loinc.org', code: '29463-7', display: 'Body weight' });
  assert.deepEqual(o.valueQuantity, { ...sent.valueQuantity, system: 'http://unitsofmeasure.org', code: 'kg' });
  assert.deepEqual(o.category.slice(0, 2), sent.category, 'JP Core\'s categories as sent');
  assert.equal(o.category.filter((c) => c.coding[0].system.endsWith('JP_SimpleObservationCategory_CS')).length, 1,
    'no second JP Core category beside the one sent');
  assert.deepEqual(o.meta.tag.map((t) => t.code), ['1', 'medical-institution'], 'R1.1: a practitioner measured it');
  assert.deepEqual(o.meta.profile, sent.meta.profile);
});

test('R4.2 R1.1 a hospital\'s glucose result is a laboratory result of category 1, not a self-measured reading', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await upload(me, read('hl7-r4-examples', 'Observation-f001.json'))).status, 201);
  assert.equal((await searchAs(srv, me, 'Observation', '?category=vital-signs')).length, 0);
  const [o] = await searchAs(srv, me, 'Observation', '?category=laboratory');
  assert.equal(o.code.coding[0].code, '15074-8');
  assert.deepEqual(o.meta.tag.map((t) => t.code), ['1', 'medical-institution']);
  assert.ok(o.category.some((c) => c.coding[0].code === 'laboratory'));
  assert.equal(o.interpretation[0].coding[0].code, 'H', 'the rest as sent');
});

test('R4.2 JP Core\'s lab result coded with JLAC10 under MEDIS\'s OID is the 特定健診 item of the same code', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await upload(me, read('jpfhir/jp-core-1.1.2-examples', 'Observation-jp-observation-labresult-example-1.json'))).status, 201);
  const [o] = await searchAs(srv, me, 'Observation', '?code=urn:oid:1.2.392.200119.6.1005|3C020000002327101');
  assert.equal(o.valueQuantity.value, 3.5);
  assert.equal(o.valueQuantity.code, 'mg/dL', 'the unit given as text only is the item\'s UCUM unit');
  assert.equal(o.interpretation[0].coding[0].code, 'L');
});

test('R4.2 an injection dispense names its medicine by a contained Medication without a code: kept as such, found by an ingredient', async () => {
  const me = await signupAndLogin(srv);
  const text = read('jpfhir/jp-core-1.1.2-examples', 'MedicationDispense-jp-medicationdispense-injection-example-1.json');
  const sent = JSON.parse(text);
  assert.equal((await upload(me, text)).status, 201);
  const [d] = await searchAs(srv, me, 'MedicationDispense', '?code=urn:oid:1.2.392.200119.4.403.1|100558502');
  // What the file contains about its own patient (the injection site's BodyStructure) names the importing person.
  const mine = sent.contained.map((c) => (c.patient ? { ...c, patient: { reference: `Patient/${me.personId}` } } : c));
  assert.ok(sent.contained.some((c) => c.patient), 'the sample has one');
  assert.deepEqual(d.contained, mine, 'the Medication with its ingredients and strengths');
  assert.deepEqual(d.medicationReference, sent.medicationReference);
  assert.equal(d.medicationCodeableConcept, undefined);
});

test('R4.2 a searchset Bundle (an app\'s export) is imported: its matches, the context it includes skipped', async () => {
  const me = await signupAndLogin(srv);
  const bundle = {
    resourceType: 'Bundle', type: 'searchset', total: 2,
    entry: [
      { search: { mode: 'match' }, resource: JSON.parse(read('hl7-r4-examples', 'Observation-heart-rate.json')) },
      { search: { mode: 'match' }, resource: JSON.parse(read('jpfhir/jp-core-1.1.2-examples', 'Observation-jp-observation-bodyMeasurement-example-1.json')) },
      { search: { mode: 'include' }, resource: JSON.parse(read('jpfhir/jp-core-1.1.2-examples', 'Patient-jp-patient-example-1.json')) },
      { search: { mode: 'outcome' }, resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] } },
    ],
  };
  const r = await upload(me, JSON.stringify(bundle));
  assert.equal(r.status, 201, r.text);
  assert.deepEqual([r.body.records, r.body.vital_signs, r.body.skipped], [2, 2, 2]);
});

test('R4.2 R4.3 blood pressure coded with MEDIS codes and a part not measured: kept as sent, each value in its own column of the CSV export', async () => {
  const me = await signupAndLogin(srv);
  const medis = (code) => ({ coding: [{ system: 'urn:oid:1.2.392.200119.4.804', code }] });
  const jp = {
    resourceType: 'Observation', status: 'final', code: medis('31002365'), effectiveDateTime: '2026-11-02T08:00:00+09:00',
    component: [{ code: medis('31001848'), valueQuantity: { value: 131, unit: 'mmHg' } },
      { code: medis('31001849'), valueQuantity: { value: 84, unit: 'mmHg' } }],
  };
  const dar = JSON.parse(read('hl7-r4-examples', 'Observation-blood-pressure-dar.json'));
  const r = await upload(me, JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: jp }, { resource: dar }] }));
  assert.equal(r.status, 201, r.text);
  const found = await searchAs(srv, me, 'Observation', '?code=http://loinc.org|85354-9&_sort=date');
  assert.deepEqual(found[0].component[1].dataAbsentReason, dar.component[1].dataAbsentReason, 'the reason kept');
  assert.deepEqual(found[1].component[0].code.coding[0], jp.component[0].code.coding[0], 'MEDIS\'s code first, as sent');
  const csv = (await call(srv, 'GET', '/api/v1/me/export/observations.csv', { token: me.token, json: false })).text;
  const lines = csv.trim().split('\r\n');
  const [head] = lines;
  const col = (line, name) => line.split(',')[head.split(',').indexOf(name)];
  const jpLine = lines.find((l) => l.startsWith('2026-11-02'));
  assert.deepEqual([col(jpLine, 'systolic'), col(jpLine, 'diastolic')], ['131', '84'], 'each part by its LOINC coding, wherever it stands');
  const darLine = lines.find((l) => l.startsWith('2012-09-17'));
  assert.deepEqual([col(darLine, 'systolic'), col(darLine, 'diastolic')], ['107', ''], 'the part not measured left blank');
});

test('R4.2 R3.4 prescriptions (JP Core MedicationRequest): served under /fhir, found by code and by when they were written; a kind of medication record', async () => {
  const me = await signupAndLogin(srv);
  const text = read('jpfhir/jp-core-1.1.2-examples', 'MedicationRequest-jp-medicationrequest-example-1.json');
  const sent = JSON.parse(text);
  const r = await upload(me, text);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.medications, 1);
  const code = sent.medicationCodeableConcept.coding[0];
  const [m] = await searchAs(srv, me, 'MedicationRequest', `?code=${code.system}|${code.code}`);
  assert.deepEqual(m.medicationCodeableConcept, sent.medicationCodeableConcept);
  assert.deepEqual(m.dosageInstruction, sent.dosageInstruction, 'the rest as sent');
  assert.equal(m.subject.reference, `Patient/${me.personId}`);
  assert.equal(m.supportingInformation.at(-1).reference, `DocumentReference/${r.body.document}`);
  const day = sent.authoredOn.slice(0, 10);
  assert.equal((await searchAs(srv, me, 'MedicationRequest', `?date=${day}`)).length, 1, 'authoredOn is its date');
  assert.equal((await searchAs(srv, me, 'MedicationRequest', '?date=lt2000-01-01')).length, 0);
  const read1 = await call(srv, 'GET', `/fhir/MedicationRequest/${m.id}`, { token: me.token });
  assert.equal(read1.status, 200);
  const meta = await call(srv, 'GET', '/fhir/metadata', {});
  assert.ok(meta.body.rest[0].resource.some((x) => x.type === 'MedicationRequest'));
});

test('R4.2 a prescription naming a Medication the Bundle carries (by fullUrl or Medication/id): that Medication is contained in the stored record', async () => {
  const me = await signupAndLogin(srv);
  const rx = JSON.parse(read('hl7-r4-examples', 'MedicationRequest-medrx002.json'));
  const med = JSON.parse(read('hl7-r4-examples', 'Medication-med0316.json'));
  const byUuid = 'urn:uuid:4b9a1f0e-0000-4000-8000-000000000001';
  const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [
    { fullUrl: 'urn:uuid:4b9a1f0e-0000-4000-8000-000000000002', resource: { ...rx, medicationReference: { reference: byUuid } } },
    { fullUrl: 'http://example.org/fhir/MedicationRequest/medrx002', resource: rx }, // names Medication/med0316
    { fullUrl: byUuid, resource: med },
    { fullUrl: 'http://example.org/fhir/Medication/med0316', resource: med },
  ] };
  const r = await upload(me, JSON.stringify(bundle));
  assert.equal(r.status, 201, r.text);
  const found = await searchAs(srv, me, 'MedicationRequest', '');
  assert.equal(found.length, 2);
  for (const m of found) {
    assert.match(m.medicationReference.reference, /^#/);
    const c = m.contained.find((x) => `#${x.id}` === m.medicationReference.reference);
    assert.deepEqual(c.code, med.code, 'the Medication whole, inside');
  }
  assert.equal((await upload(me, read('hl7-r4-examples', 'MedicationRequest-medrx002.json'))).status, 422, 'alone, the file does not say what medicine');
});

test('R4.2 what a record says of its own sources is kept: the file\'s DocumentReference is added beside it', async () => {
  const me = await signupAndLogin(srv);
  const rx = JSON.parse(read('jpfhir/jp-core-1.1.2-examples', 'MedicationRequest-jp-medicationrequest-example-1.json'));
  const given = { reference: 'Observation/renal-function', display: '腎機能検査' };
  const r = await upload(me, JSON.stringify({ ...rx, supportingInformation: [given] }));
  assert.equal(r.status, 201, r.text);
  const [m] = await searchAs(srv, me, 'MedicationRequest', '');
  assert.deepEqual(m.supportingInformation, [given, { reference: `DocumentReference/${r.body.document}` }]);
});
