// HL7's PHR IG (hl7.fhir.uv.phr) .phr files and its $phr-export (R4.2,
// R4.3, R4.4): the person's whole record as NDJSON — the cover page
// (PhrComposition), the Patient, every record, a line each, and the
// Provenance of the file — read back into another account as the same
// records; a whole record from elsewhere keeps what the service keeps and
// passes over (counted, the first named) the kinds it does not, the file
// kept whole; $phr-export gives the record in the format asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { startServer, call, signupAndLogin, bloodPressure, quantity, recordCount, importFile } from './helpers.mjs';
import { validateResource } from './profiles.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const get = (who, path, headers = {}) => fetch(`${srv.url}${path}`, { headers: { authorization: `Bearer ${who.token}`, ...headers } });
const lines = (text) => text.trim().split('\n').map((l) => JSON.parse(l));

async function someone() {
  const me = await signupAndLogin(srv);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(124, 81, '2026-11-07T07:00:00+09:00') })).status, 201);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: quantity('29463-7', 61.4, 'kg', '2026-11-07T07:05:00+09:00') })).status, 201);
  assert.equal((await importFile(srv, me, fixture('jahis/tc-multi-dispensing.txt'), 'text/plain')).status, 201);
  return me;
}

test('R4.3 the person\'s .phr: the cover page, the Patient, every record and the Provenance, a line each, each valid FHIR R4', async () => {
  const me = await someone();
  const res = await get(me, '/api/v1/me/export/record.phr');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/x-ndjson/);
  assert.match(res.headers.get('content-disposition'), /\.phr"/);
  const all = lines(await res.text());
  const [cover, patient] = all, last = all.at(-1), records = all.slice(2, -1);
  assert.equal(cover.resourceType, 'Composition');
  assert.deepEqual(cover.type.coding[0], { system: 'http://loinc.org', code: '11503-0', display: 'Medical records' });
  assert.equal(cover.status, 'final');
  assert.equal(cover.section, undefined, 'its records follow it: no section to list them');
  assert.equal(patient.resourceType, 'Patient');
  assert.equal(patient.id, me.personId);
  assert.equal(last.resourceType, 'Provenance');
  assert.deepEqual(last.target, [{ reference: `Composition/${cover.id}` }]);
  assert.equal(last.agent[0].who.display, 'PHR service');
  const everything = (await call(srv, 'GET', `/fhir/Patient/${me.personId}/$everything?_count=200`, { token: me.token })).body.entry
    .map((e) => e.resource).filter((r) => r.resourceType !== 'Patient');
  assert.deepEqual(records.map((r) => `${r.resourceType}/${r.id}`).sort(), everything.map((r) => `${r.resourceType}/${r.id}`).sort(),
    'every record of $everything, once');
  for (const r of all) validateResource(r);
});

test('R4.2 R4.3 a .phr read into another account: the same records, nothing passed over; the same file again is a duplicate', async () => {
  const alice = await someone();
  const phr = await (await get(alice, '/api/v1/me/export/record.phr')).text();
  const bob = await signupAndLogin(srv);
  const r = await importFile(srv, bob, phr, 'application/x-ndjson');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'phr');
  assert.equal(r.body.passed_over, undefined, 'the service\'s own record: everything is kept');
  for (const type of ['Observation', 'MedicationDispense'])
    assert.equal(recordCount(srv, bob, type), recordCount(srv, alice, type), type);
  const bp = (await call(srv, 'GET', '/fhir/Observation?code=http://loinc.org|85354-9', { token: bob.token })).body.entry[0].resource;
  assert.deepEqual(bp.component.map((c) => c.valueQuantity.value), [124, 81]);
  const original = await fetch(`${srv.url}/api/v1/me/documents/${r.body.document}/original`, { headers: { authorization: `Bearer ${bob.token}` } });
  assert.match(original.headers.get('content-type'), /^application\/x-ndjson/);
  assert.equal(await original.text(), phr, 'kept as it came');
  const again = await importFile(srv, bob, phr, 'application/x-ndjson');
  assert.equal(again.status, 200);
  assert.equal(again.body.duplicate, true);
});

// Shaped as the IG's exemplar (input/examplars/Roger-McBee.phr): a
// Composition whose sections name the resources, a bare DocumentManifest,
// then the resources — here with ones the service does not keep.
const foreign = [
  { resourceType: 'Composition', status: 'preliminary', subject: { display: '', reference: '' }, date: '2024-05-19', author: [{ display: '', reference: '' }],
    title: 'Continuity of Care Document', section: [{ reference: 'Patient/p1' }, { reference: 'CarePlan/c1' }] },
  { resourceType: 'DocumentManifest', status: 'current' },
  { resourceType: 'Patient', id: 'p1', name: [{ family: 'Sample', given: ['Pat'] }], gender: 'female', birthDate: '1970-01-01' },
  { resourceType: 'CarePlan', id: 'c1', status: 'active', intent: 'proposal', subject: { reference: 'Patient/p1' } },
  { resourceType: 'Observation', id: 'o1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '81378-2', display: 'Goals, preferences, and priorities under certain health conditions [Reported]' }] },
    subject: { reference: 'Patient/p1' }, valueString: 'comfort care' },
  { ...bloodPressure(133, 88, '2024-05-18T08:00:00-05:00'), id: 'o2', subject: { reference: 'Patient/p1' } },
  { resourceType: 'Consent', id: 'k1', status: 'active', scope: { text: 'adr' }, category: [{ text: 'advance directive' }] },
];

test('R4.2 a whole record from elsewhere: what the service keeps is read, the other kinds passed over and counted, the first named by its line', async () => {
  const me = await signupAndLogin(srv);
  const text = foreign.map((o) => JSON.stringify(o)).join('\r\n') + '\r\n';
  const r = await importFile(srv, me, text, 'application/x-ndjson');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'phr');
  assert.equal(r.body.vital_signs, 1);
  assert.equal(r.body.passed_over, 3, 'the CarePlan, the preference Observation and the Consent');
  assert.match(r.body.passed_over_first, /^line 4: CarePlan is not imported/);
  assert.equal(recordCount(srv, me, 'Observation'), 1);
  // Nothing the service keeps: refused, saying so, nothing stored.
  const none = await importFile(srv, me, foreign.filter((o) => o.id !== 'o2').map((o) => JSON.stringify(o)).join('\n'), 'application/x-ndjson');
  assert.equal(none.status, 422);
  assert.match(none.body.detail, /none of the file's records is of a kind the service keeps \(3 passed over; the first, line 4: CarePlan/);
  assert.equal(recordCount(srv, me, 'Observation'), 1);
});

test('R2.9 R4.2 a .phr with a broken line, or a record the service keeps that does not check, is refused by its line; nothing stored', async () => {
  const me = await signupAndLogin(srv);
  const good = JSON.stringify({ ...bloodPressure(120, 80), id: 'a' });
  for (const [text, why] of [
    [`${good}\n{"resourceType":"Observation",\n`, /^line 2: /],
    [`${good}\n[1,2]\n`, /^line 2: not a JSON object/],
    [`${good}\n${JSON.stringify(bloodPressure(520, 80))}\n`, /^line 2/],
  ]) {
    const r = await importFile(srv, me, text, 'application/x-ndjson');
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.detail, why);
  }
  assert.equal(recordCount(srv, me), 0);
});

test('R4.3 R4.4 $phr-export: bundle (the default), ndjson and phr (a .phr file), sphr (the package); other values and parameters refused; another\'s id 404', async () => {
  const me = await someone();
  const op = (q) => get(me, `/fhir/Patient/${me.personId}/$phr-export${q}`);
  const bundle = await (await op('')).json();
  assert.equal(bundle.resourceType, 'Bundle');
  assert.equal(bundle.type, 'searchset', '$everything');
  const asBundle = await (await op('?outputFormat=bundle')).json();
  assert.equal(asBundle.total, bundle.total);
  const strict = await get(me, `/fhir/Patient/${me.personId}/$phr-export?outputFormat=bundle&_count=5`, { prefer: 'handling=strict' });
  assert.equal(strict.status, 200, 'outputFormat is the operation\'s, not an unknown search parameter');
  assert.ok(!(await strict.json()).link.some((l) => l.url.includes('outputFormat')), 'nor repeated in the links');
  for (const f of ['ndjson', 'phr']) {
    const res = await op(`?outputFormat=${f}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/x-ndjson/);
    const all = lines(await res.text());
    assert.equal(all[0].resourceType, 'Composition');
    assert.equal(all.length, bundle.total + 2, 'the cover page, the Patient and the records, and the Provenance');
  }
  const zip = await op('?outputFormat=sphr');
  assert.equal(zip.status, 200);
  assert.equal(zip.headers.get('content-type'), 'application/zip');
  assert.equal(Buffer.from(await zip.arrayBuffer()).subarray(0, 2).toString(), 'PK');
  const bad = await op('?outputFormat=xml');
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).issue[0].diagnostics, /bundle \(the default\), ndjson, phr or sphr/);
  const narrowed = await op('?outputFormat=ndjson&_since=2026-01-01');
  assert.equal(narrowed.status, 400);
  const other = await signupAndLogin(srv);
  assert.equal((await get(other, `/fhir/Patient/${me.personId}/$phr-export?outputFormat=ndjson`)).status, 404);
  const cap = await (await fetch(`${srv.url}/fhir/metadata`)).json();
  const patientOps = cap.rest[0].resource.find((r) => r.type === 'Patient').operation.map((o) => o.definition);
  assert.ok(patientOps.includes('http://hl7.org/fhir/uv/phr/OperationDefinition/phr-export'));
});

// Outside material: HL7 FHIR R4's examples (every one but the Bundles, and
// the six samples.test.mjs shows refused for a value: a cancelled or
// entered-in-error reading, a reading with no value, a dispense or
// statement without its time, a prescription naming a Medication it does
// not carry) as one person's whole record.
test('R4.2 HL7 FHIR R4\'s examples as one .phr: the vital signs and the medication kept, the other kinds passed over', async () => {
  const dir = new URL('../fixtures/hl7-r4-examples/', import.meta.url);
  const refused = /^(MedicationDispense-meddisp008|MedicationStatement-example007|MedicationRequest-medrx002|Observation-blood-pressure-cancel|Observation-f202|Observation-unsat)\.json$/;
  const names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('Bundle-') && !refused.test(n));
  assert.equal(names.length, 195);
  const text = names.map((n) => JSON.stringify(JSON.parse(readFileSync(new URL(n, dir), 'utf8')))).join('\n');
  const me = await signupAndLogin(srv);
  const r = await importFile(srv, me, text, 'application/x-ndjson');
  assert.equal(r.status, 201, r.text);
  assert.deepEqual([r.body.records, r.body.vital_signs, r.body.medications, r.body.skipped, r.body.passed_over], [86, 11, 75, 51, 58],
    'records; vital signs; medication; context (Patients, Practitioners, Medications …); passed over (Conditions, other Observations …)');
  assert.match(r.body.passed_over_first, /^line 1: CapabilityStatement is not imported/);
  assert.equal(recordCount(srv, me, 'Observation'), 11);
});
