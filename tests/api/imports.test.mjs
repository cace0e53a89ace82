// Import of 特定健診 CDA (R4.1, R4.2, R2.9): validated against MHLW's hc08
// schema, results typed per the item table, the document kept
// byte-identical, all of a file or nothing, duplicates reported; hostile or
// wrong files refused with the reason and nothing stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { startServer, call, signupAndLogin, sql, phr, recordCount, importFile, nothingFound } from './helpers.mjs';

const CDA = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');
const TEMPLATE = readFileSync(new URL('../fixtures/mhlw-CDAtemplate-hc18.xml', import.meta.url), 'utf8');
const HEIGHT = '9N001000000000001';

let srv, me;
before(async () => {
  srv = await startServer();
  me = await signupAndLogin(srv);
});
after(async () => { await srv.stop(); });

const upload = (who, text, type = 'application/xml', query = '') => importFile(srv, who, text, type, query);
const count = (who) => recordCount(srv, who);

test('R4.2 R4.1 R1.1 a 特定健診 CDA becomes typed Observations and a byte-identical document; importing it again stores nothing', async () => {
  const r = await upload(me, CDA, 'application/xml', '?source=medical-institution');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'tokutei-cda');
  assert.equal(r.body.observations, 4);
  assert.equal(r.body.skipped, 1, 'BMI was sent without a value (nullFlavor)');
  assert.equal(r.body.checkup_date, '2026-10-15');
  assert.equal(r.body.sha256, createHash('sha256').update(CDA).digest('hex'));

  const h = await call(srv, 'GET', `/fhir/Observation?code=urn:oid:1.2.392.200119.6.1005|${HEIGHT}`, { token: me.token });
  assert.equal(h.status, 200, h.text);
  assert.equal(h.body.entry.length, 1);
  const height = h.body.entry[0].resource;
  assert.deepEqual(height.valueQuantity, { value: 158.2, unit: 'cm', system: 'http://unitsofmeasure.org', code: 'cm' });
  assert.equal(height.code.coding[0].display, '身長');
  assert.equal(height.effectiveDateTime, '2026-10-15');
  assert.equal(height.derivedFrom[0].reference, `DocumentReference/${r.body.document}`);
  assert.deepEqual(height.meta.tag.map((t) => t.code), ['1', 'medical-institution'], 'R1.1 category and source');
  const labs = await call(srv, 'GET', '/fhir/Observation?category=laboratory&date=2026-10-15', { token: me.token });
  assert.equal(labs.body.entry.length, 4);
  const sugar = labs.body.entry.map((e) => e.resource).find((o) => o.code.coding[0].code === '1A020000000190111');
  assert.deepEqual(sugar.valueCodeableConcept.coding[0], { system: 'urn:oid:1.2.392.200119.6.2101', code: '1', display: '－' });

  const doc = await call(srv, 'GET', `/api/v1/me/documents/${r.body.document}`, { token: me.token });
  assert.equal(doc.status, 200, doc.text);
  assert.equal(doc.body.resourceType, 'DocumentReference');
  assert.equal(doc.body.content[0].attachment.size, Buffer.byteLength(CDA));
  const orig = await fetch(`${srv.url}/api/v1/me/documents/${r.body.document}/original`, { headers: { authorization: `Bearer ${me.token}` } });
  assert.equal(orig.status, 200);
  assert.match(orig.headers.get('content-type'), /application\/xml/);
  const bytes = Buffer.from(await orig.arrayBuffer());
  assert.ok(bytes.equals(Buffer.from(CDA)), 'the original comes back byte for byte');
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${r.body.document}`, { token: me.token })).status, 404,
    'a document is not an Observation');
  // The person's imported files, listed for download (the portal's data page).
  const listed = await call(srv, 'GET', '/fhir/DocumentReference?_sort=-date', { token: me.token });
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.body.entry.map((e) => e.resource.id), [r.body.document]);
  const stranger = await signupAndLogin(srv);
  nothingFound(await call(srv, 'GET', `/fhir/DocumentReference?patient=${me.personId}`, { token: stranger.token }), 'a stranger');
  assert.equal((await call(srv, 'GET', `/fhir/DocumentReference/${r.body.document}`, { token: stranger.token })).status, 404);

  const n = count(me);
  const again = await upload(me, CDA);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.duplicate, true);
  assert.equal(again.body.document, r.body.document);
  assert.equal(count(me), n, 'nothing stored twice');
  assert.match(sql(srv.data, `SELECT reason FROM audit WHERE subject = '${me.personId}' AND action = 'record.create' ORDER BY seq DESC LIMIT 1`),
    /^import:tokutei-cda sha256:/);

  const other = await signupAndLogin(srv);
  assert.equal((await call(srv, 'GET', `/api/v1/me/documents/${r.body.document}/original`, { token: other.token })).status, 404);
  const disclosure = await call(srv, 'GET', '/api/v1/me/disclosure', { token: me.token });
  const kept = disclosure.body.records.find((x) => x.id === r.body.document);
  assert.ok(Buffer.from(kept.original_base64, 'base64').equals(Buffer.from(CDA)), 'the disclosure carries the original');
});

const broken = [
  ['not a format the service imports', 'this is not xml', 415, /not a file the service imports/],
  ['XML that is not well-formed', '<ClinicalDocument', 400, /not well-formed/],
  ['a DTD with an external entity (XXE)',
    CDA.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE ClinicalDocument [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
      .replace('健診 花子（架空）', '&x;'), 422, /DTD/],
  ['the 2023 MHLW namespace', CDA.replace('xmlns="urn:hl7-org:v3"', 'xmlns="https://www.mhlw.go.jp/stf/seisakunitsuite/bunya/0000161103.html"'), 422, /namespace/],
  ['another CDA version', CDA.replace('extension="POCD_HD000040"', 'extension="POCD_HD000030"'), 422, /wrong CDA version/],
  ['an element the schema does not allow', CDA.replace('<confidentialityCode code="N"/>', '<confidentialityCode code="N"/><note>x</note>'), 422, /does not conform.*line/],
  ['an item code not in the table', CDA.replace('code="9N006000000000001"', 'code="9Z999000000000001"'), 422, /9Z999000000000001 is not in the 特定健診 item table/],
  ['a unit other than the table\'s', CDA.replace('value="52.4" unit="kg"', 'value="52.4" unit="g"'), 422, /unit must be 'kg'/],
  ['a value of another type', CDA.replace('<value xsi:type="PQ" value="158.2" unit="cm"/>', '<value xsi:type="ST">158.2</value>'), 422, /must be of type PQ/],
  ['MHLW\'s own skeleton with placeholders', TEMPLATE, 422, /date|conform/],
];
for (const [what, text, status, why] of broken) {
  test(`R2.9 R4.2 refused: ${what}; nothing is stored`, async () => {
    const n = count(me);
    const r = await upload(me, text);
    assert.equal(r.status, status, r.text);
    assert.match(r.body.detail, why);
    assert.equal(count(me), n);
  });
}

// The examining institution's reference range and flag, where the document
// states them: kept on the Observation (the portal shows them per year).
const WITH_RANGE = CDA.replace('<value xsi:type="PQ" value="128" unit="mm[Hg]"/></observation>',
  '<value xsi:type="PQ" value="148" unit="mm[Hg]"/><interpretationCode code="H" codeSystem="2.16.840.1.113883.5.83"/>' +
  '<referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="90" unit="mm[Hg]"/><high value="129" unit="mm[Hg]"/>' +
  '</value></observationRange></referenceRange></observation>');

test('R4.2 a CDA result\'s reference range and interpretation are kept on its Observation; a malformed range is refused', async () => {
  assert.notEqual(WITH_RANGE, CDA, 'the fixture still has the systolic pressure this test changes');
  const person = await signupAndLogin(srv);
  const r = await upload(person, WITH_RANGE);
  assert.equal(r.status, 201, r.text);
  const bp = (await call(srv, 'GET', '/fhir/Observation?code=urn:oid:1.2.392.200119.6.1005|9A751000000000001', { token: person.token })).body.entry[0].resource;
  const q = (value) => ({ value, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' });
  assert.deepEqual(bp.referenceRange, [{ low: q(90), high: q(129) }]);
  assert.deepEqual(bp.interpretation, [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }]);
  const height = (await call(srv, 'GET', `/fhir/Observation?code=urn:oid:1.2.392.200119.6.1005|${HEIGHT}`, { token: person.token })).body.entry[0].resource;
  assert.equal(height.referenceRange, undefined, 'none invented where the document gives none');

  const other = await signupAndLogin(srv);
  const bad = await upload(other, WITH_RANGE.replace('code="H" codeSystem="2.16.840.1.113883.5.83"', 'code="high!" codeSystem="2.16.840.1.113883.5.83"'));
  assert.equal(bad.status, 422, bad.text);
  assert.match(bad.body.detail, /9A751000000000001.*not an ObservationInterpretation code/);
  assert.equal(count(other), 0);
});

test('R2.9 R3.2 imports need the right media type, a size within bounds, and consent', async () => {
  assert.equal((await upload(me, CDA, 'image/png')).status, 415);
  assert.equal((await upload(me, '{"resourceType":', 'application/fhir+json')).status, 400, 'broken JSON does not parse');
  const big = await upload(me, CDA + ' '.repeat(4 * 1024 * 1024));
  assert.equal(big.status, 413);
  const stranger = await signupAndLogin(srv, undefined, { consent: false });
  const r = await upload(stranger, CDA);
  assert.equal(r.status, 403, r.text);
  assert.match(r.body.detail, /consent/);
  assert.equal(count(stranger), 0);
  assert.equal((await call(srv, 'POST', '/api/v1/imports', { body: CDA, headers: { 'content-type': 'application/xml' } })).status, 401);
});

test('R4.2 phr import loads files for a person with a progress bar; each file whole or refused with its reason', async () => {
  const person = await signupAndLogin(srv);
  const dir = join(srv.data, '..');
  const good = join(dir, 'checkup.xml'), bad = join(dir, 'broken.xml');
  writeFileSync(good, CDA);
  writeFileSync(bad, CDA.replace('code="9N006000000000001"', 'code="9Z999000000000001"'));
  const r = phr(['import', '--data', srv.data, '--login', person.login, '--log-level', 'warn', '--', good, bad, good]);
  assert.equal(r.status, 1, 'a refused file makes the run fail');
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0].result.observations, 4);
  assert.match(lines[1].refused, /9Z999000000000001/);
  assert.equal(lines[2].result.duplicate, true);
  assert.match(r.stderr, /3\/3 files: 1 imported, 1 already there, 1 refused/);
  assert.equal(count(person), 5);
  assert.equal(phr(['import', '--data', srv.data, '--login', 'nobody@example.jp', '--', good]).status, 1);
});

const BUNDLE = readFileSync(new URL('../fixtures/eCheckupReport-Sample-01.json', import.meta.url), 'utf8');

test('R4.2 the 健診結果報告書 FHIR document Bundle: its checkup Observations, typed per the item table, one transaction', async () => {
  const person = await signupAndLogin(srv);
  const r = await upload(person, BUNDLE, 'application/fhir+json');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'fhir');
  const sample = JSON.parse(BUNDLE);
  const obs = sample.entry.map((e) => e.resource).filter((o) => o.resourceType === 'Observation');
  const withValue = obs.filter((o) => o.valueQuantity || o.valueCodeableConcept || o.valueString);
  assert.equal(r.body.observations, withValue.length);
  assert.equal(r.body.skipped, sample.entry.length - withValue.length, 'the Patient, Composition, organisations… and value-less entries');
  const h = await call(srv, 'GET', `/fhir/Observation?code=urn:oid:1.2.392.200119.6.1005|${HEIGHT}`, { token: person.token });
  assert.equal(h.body.entry[0].resource.valueQuantity.value, 162.3);
  assert.equal(h.body.entry[0].resource.effectiveDateTime, '2020-04-04');
  const doc = await call(srv, 'GET', `/api/v1/me/documents/${r.body.document}`, { token: person.token });
  assert.equal(doc.body.content[0].attachment.contentType, 'application/fhir+json');
  const orig = await fetch(`${srv.url}/api/v1/me/documents/${r.body.document}/original`, { headers: { authorization: `Bearer ${person.token}` } });
  assert.ok(Buffer.from(await orig.arrayBuffer()).equals(Buffer.from(BUNDLE)), 'kept byte for byte');
  assert.equal((await upload(person, BUNDLE, 'application/fhir+json')).body.duplicate, true);
  // The report's reference ranges and flags stay with their results.
  const sbp = (await call(srv, 'GET', '/fhir/Observation?code=urn:oid:1.2.392.200119.6.1005|9A751000000000001', { token: person.token })).body.entry[0].resource;
  const given = obs.find((o) => o.code.coding[0].code === '9A751000000000001');
  assert.deepEqual([sbp.referenceRange[0].low.value, sbp.referenceRange[0].high.value], [given.referenceRange[0].low.value, given.referenceRange[0].high.value]);
  assert.equal(sbp.interpretation[0].coding[0].code, given.interpretation[0].coding[0].code);

  const n = count(person);
  const bad = [
    [JSON.stringify({ resourceType: 'Patient' }), /Bundle/],
    [JSON.stringify({ ...sample, type: 'batch' }), /document, collection, searchset or transaction, not batch/],
    [BUNDLE.replace('"9N006000000000001"', '"9Z999000000000001"'), /9Z999000000000001 is not in the 特定健診 item table/],
    [BUNDLE.replace('"code": "kg"', '"code": "g"').replace('"code":"kg"', '"code":"g"'), /unit must be 'kg'/],
  ];
  for (const [text, why] of bad) {
    const x = await upload(person, text, 'application/fhir+json');
    assert.equal(x.status, 422, x.text);
    assert.match(x.body.detail, why);
  }
  assert.equal(count(person), n, 'refused Bundles store nothing');
});
