// FHIR R4 JSON files (R4.2, R1.2, R1.1): a single resource or a Bundle of
// vital signs, medication and immunisation (JP Core and HL7 examples), the
// file kept byte-identical, the file's own patient replaced by the person,
// all of a file or nothing; what is not imported is refused by entry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, signupAndLogin, importFile, recordCount, searchAs } from './helpers.mjs';

const fixture = (name) => readFileSync(new URL(`../fixtures/fhir/${name}`, import.meta.url), 'utf8');
const json = (name) => JSON.parse(fixture(name));

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const upload = (who, body) => importFile(srv, who, typeof body === 'string' ? body : JSON.stringify(body), 'application/fhir+json');
const count = (who) => recordCount(srv, who);
const search = (who, type, query) => searchAs(srv, who, type, query);

test('R4.2 R1.2 a JP Core MedicationDispense alone: stored for the person, its own patient and id replaced, the file kept', async () => {
  const me = await signupAndLogin(srv);
  const text = fixture('MedicationDispense-jp-medicationdispense-example-1.json');
  const r = await upload(me, text);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'fhir');
  assert.deepEqual([r.body.records, r.body.medications, r.body.immunizations, r.body.skipped], [1, 1, 0, 0]);
  const [d] = await search(me, 'MedicationDispense');
  assert.notEqual(d.id, 'jp-medicationdispense-example-1');
  assert.equal(d.subject.reference, `Patient/${me.personId}`);
  assert.deepEqual(d.medicationCodeableConcept.coding[0], { code: '103835401', system: 'urn:oid:1.2.392.200119.4.403.1', display: 'ムコダイン錠２５０ｍｇ' });
  assert.deepEqual(d.meta.profile, ['http://jpfhir.jp/fhir/core/StructureDefinition/JP_MedicationDispense'], 'the profile is kept');
  assert.deepEqual(d.meta.tag.map((t) => t.code), ['1', 'medical-institution'], 'R1.1');
  assert.equal(d.supportingInformation[0].reference, `DocumentReference/${r.body.document}`);
  assert.equal(d.dosageInstruction[0].text, '内服・経口・１日３回朝昼夕食後', 'the rest of the resource as sent');
  assert.equal((await search(me, 'MedicationDispense', '?code=urn:oid:1.2.392.200119.4.403.1|103835401')).length, 1);
  const orig = await fetch(`${srv.url}/api/v1/me/documents/${r.body.document}/original`, { headers: { authorization: `Bearer ${me.token}` } });
  assert.match(orig.headers.get('content-type'), /application\/fhir\+json/);
  assert.equal(await orig.text(), text);
  assert.equal((await upload(me, text)).body.duplicate, true);
});

test('R4.2 R1.1 a Bundle of vital signs, medication and a vaccination: all stored in one go, each where it belongs', async () => {
  const me = await signupAndLogin(srv);
  const bundle = {
    resourceType: 'Bundle', type: 'collection',
    entry: [
      { resource: { resourceType: 'Patient', id: 'someone-else', name: [{ text: '架空 太郎' }] } },
      { resource: json('Observation-body-height.json') },
      { resource: json('Observation-heart-rate.json') },
      { resource: json('MedicationStatement-example001.json') },
      { resource: json('MedicationDispense-meddisp0301.json') },
      { resource: json('Immunization-jp-immunization-example-1.json') },
    ],
  };
  const r = await upload(me, bundle);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual([r.body.records, r.body.vital_signs, r.body.medications, r.body.immunizations, r.body.skipped], [5, 2, 2, 1, 1]);
  const vitals = await search(me, 'Observation', '?category=vital-signs');
  assert.equal(vitals.length, 2);
  const hr = vitals.find((o) => o.code.coding.some((c) => c.code === '8867-4'));
  assert.equal(hr.valueQuantity.value, 44);
  assert.equal(hr.meta.tag[0].code, '3', 'R1.1: measured by the person');
  const [imm] = await search(me, 'Immunization');
  assert.equal(imm.patient.reference, `Patient/${me.personId}`, 'an Immunization names its patient as patient');
  assert.equal(imm.subject, undefined);
  assert.ok(imm.extension.some((e) => e.url.endsWith('JP_Immunization_DueDateOfNextDose')), 'the resource\'s own extensions are kept');
  assert.ok(imm.extension.some((e) => e.url === 'urn:phr:provenance'));
  const disp = await search(me, 'MedicationDispense');
  assert.equal(disp[0].medicationReference.reference, '#med0301', 'a medicine named by a contained Medication stays so');
  assert.equal(disp[0].contained[0].code.coding[0].code, '0069-2587-10');
  assert.equal((await search(me, 'MedicationDispense', '?code=http://hl7.org/fhir/sid/ndc|0069-2587-10')).length, 1,
    'and is found by that Medication\'s code');
  const stmts = await search(me, 'MedicationStatement');
  assert.equal(stmts[0].derivedFrom.at(-1).reference, `DocumentReference/${r.body.document}`);
  assert.equal(count(me), 6, 'five records and the document');
});

const broken = [
  ['a resource type not imported', { resourceType: 'Condition', clinicalStatus: { text: 'active' } }, /entry 0: Condition is not imported/],
  ['a prescription naming no medicine', { resourceType: 'MedicationRequest', status: 'active', intent: 'order', authoredOn: '2026-01-01' }, /entry 0 \(MedicationRequest\): medicationCodeableConcept needs a coding/],
  ['an Observation neither a checkup item nor a vital sign', { resourceType: 'Bundle', type: 'collection', entry: [
    { resource: json('Observation-heart-rate.json') },
    { resource: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2093-3' }] }, effectiveDateTime: '2026-01-01', valueQuantity: { value: 1 } } },
  ] }, /entry 1: the Observation http:\/\/loinc.org\|2093-3 is neither a 特定健診 item/],
  ['a vaccination without a date', { ...json('Immunization-jp-immunization-example-1.json'), occurrenceDateTime: undefined, recorded: undefined }, /when it happened is missing/],
  ['a vaccination in the future', { ...json('Immunization-jp-immunization-example-1.json'), occurrenceDateTime: '2999-01-01' }, /lies in the future/],
  ['a dispense without status', { ...json('MedicationDispense-jp-medicationdispense-example-1.json'), status: undefined }, /status is required/],
  ['a medicine named nowhere', { resourceType: 'MedicationStatement', status: 'active', effectiveDateTime: '2026-01-01', medicationCodeableConcept: {} }, /needs a coding .* or a text/],
  ['a reference to a Medication elsewhere', { resourceType: 'MedicationDispense', status: 'completed', whenHandedOver: '2026-01-01', medicationReference: { reference: 'Medication/x' } }, /must name a Medication contained/],
  ['a vital sign failing its checks', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { ...json('Observation-heart-rate.json'), valueQuantity: { value: 44, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } } }] }, /entry 0: /],
  ['only context', { resourceType: 'Patient' }, /nothing to import/],
];
for (const [what, body, why] of broken) {
  test(`R2.9 R4.2 refused: ${what}; nothing is stored`, async () => {
    const me = await signupAndLogin(srv);
    const r = await upload(me, body);
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.detail, why);
    assert.equal(count(me), 0);
  });
}
