// Measurements as CSV (R4.2, R4.3, R1.1): a home device's export with
// Japanese headers, each value checked as a submitted vital sign, source
// device; the service's own CSV export imported elsewhere gives the same
// measurements; a bad row refuses the whole file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, call, signupAndLogin, importFile, recordCount, quantity } from './helpers.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const upload = (who, body) => importFile(srv, who, body, 'text/csv');
const count = (who) => recordCount(srv, who);
const DEVICE = '\uFEFF測定日時,最高血圧(mmHg),最低血圧(mmHg),脈拍(bpm),体重(kg),メモ\r\n'
  + '2026/11/01 07:00,128,84,66,,"朝, 起床後"\r\n'
  + '2026/11/02 07:10,131,86,70,61.4,\r\n';

test('R4.2 R1.1 a device\'s CSV: each value a vital sign, source device, the file kept; again, nothing is stored', async () => {
  const me = await signupAndLogin(srv);
  const r = await upload(me, DEVICE);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'csv');
  assert.deepEqual([r.body.rows, r.body.vital_signs, r.body.records, r.body.date], [2, 5, 5, '2026-11-02']);
  const obs = (await call(srv, 'GET', '/fhir/Observation?category=vital-signs&_sort=date', { token: me.token })).body.entry.map((e) => e.resource);
  assert.equal(obs.length, 5);
  assert.equal(obs[0].effectiveDateTime, '2026-11-01T07:00:00+09:00');
  assert.ok(obs.every((o) => o.meta.tag.some((t) => t.system === 'urn:phr:source' && t.code === 'device')));
  const orig = await fetch(`${srv.url}/api/v1/me/documents/${r.body.document}/original`, { headers: { authorization: `Bearer ${me.token}` } });
  assert.match(orig.headers.get('content-type'), /text\/csv/);
  assert.ok(Buffer.from(await orig.arrayBuffer()).equals(Buffer.from(DEVICE)), 'byte for byte, BOM and all');
  assert.equal((await upload(me, DEVICE)).body.duplicate, true);
});

test('R4.3 R4.2 the CSV export imported into another account gives the same measurements', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await upload(me, DEVICE)).status, 201);
  const csv = (await call(srv, 'GET', '/api/v1/me/export/observations.csv', { token: me.token, json: false })).text;
  const other = await signupAndLogin(srv);
  const r = await upload(other, csv);
  assert.equal(r.status, 201, r.text);
  const rows = async (who) => (await call(srv, 'GET', '/api/v1/me/export/observations.csv', { token: who.token, json: false })).text
    .trim().split('\r\n').slice(1).map((l) => l.split(',').slice(0, 9).join(',')).sort();
  assert.deepEqual(await rows(other), await rows(me));
});

test('R4.3 R1.1 issue 23: a measurement over a period (a day\'s steps) leaves the CSV with its start and end and comes back the same', async () => {
  const me = await signupAndLogin(srv);
  const { effectiveDateTime, ...steps } = quantity('55423-8', 8412, '{steps}');
  assert.ok(effectiveDateTime);
  const period = { start: '2026-11-03T00:00:00+09:00', end: '2026-11-03T23:59:59+09:00' };
  const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: { ...steps, effectivePeriod: period } });
  assert.equal(r.status, 201, r.text);
  const csv = (await call(srv, 'GET', '/api/v1/me/export/observations.csv', { token: me.token, json: false })).text;
  const line = csv.trim().split('\r\n')[1];
  assert.match(line, /^2026-11-03T00:00:00\+09:00,2026-11-03T23:59:59\+09:00,http:\/\/loinc.org,55423-8,/);
  const other = await signupAndLogin(srv);
  const back = await upload(other, csv);
  assert.equal(back.status, 201, back.text);
  const found = await call(srv, 'GET', '/fhir/Observation?code=55423-8', { token: other.token });
  const o = found.body.entry[0].resource;
  assert.deepEqual(o.effectivePeriod, period);
  assert.equal(o.effectiveDateTime, undefined);
  assert.equal(o.valueQuantity.value, 8412);
});

test('R4.3 R4.2 issue 23 item 8: a checkup in the CSV export comes back whole: every item, coded values with their system and display, texts, ranges of units', async () => {
  const me = await signupAndLogin(srv);
  const cda = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');
  const bundle = readFileSync(new URL('../fixtures/eCheckupReport-Sample-01.json', import.meta.url), 'utf8');
  assert.equal((await importFile(srv, me, cda, 'application/xml')).status, 201);
  assert.equal((await importFile(srv, me, bundle, 'application/fhir+json')).status, 201);
  assert.equal((await upload(me, DEVICE)).status, 201);
  const csv = (await call(srv, 'GET', '/api/v1/me/export/observations.csv', { token: me.token, json: false })).text;
  const other = await signupAndLogin(srv);
  const r = await upload(other, csv);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.checkup_results, 48, 'the CDA\'s 4 and the report\'s 44');
  assert.equal(r.body.vital_signs, 5);
  assert.equal(r.body.skipped, 0);
  // Every column but when it was recorded (and its source: the file's) is the same.
  const rows = async (who) => (await call(srv, 'GET', '/api/v1/me/export/observations.csv', { token: who.token, json: false })).text
    .trim().split('\r\n').slice(1).map((l) => l.replace(/,[^,]*,[^,]*$/, '')).sort();
  assert.deepEqual(await rows(other), await rows(me));
  // And the results are checkup results: in the 健診結果報告書 of their day, valid per the item table.
  const doc = await call(srv, 'GET', '/api/v1/me/export/checkup/2020-04-04.json', { token: other.token });
  assert.equal(doc.status, 200, doc.text);
  assert.equal(doc.body.entry.filter((e) => e.resource.resourceType === 'Observation').length, 44);
  // A checkup row that breaks the item table is refused naming its line; nothing is stored.
  const lines = csv.trim().split('\r\n');
  const at = lines.findIndex((l) => l.includes(',mm[Hg],') && l.includes('urn:oid:1.2.392.200119.6.1005'));
  assert.ok(at > 0);
  lines[at] = lines[at].replace(',mm[Hg],', ',kg,');
  const third = await signupAndLogin(srv);
  const bad = await upload(third, lines.join('\r\n'));
  assert.equal(bad.status, 422, bad.text);
  assert.match(bad.body.detail, new RegExp(`^line ${at + 1}, item `));
  assert.equal(count(third), 0);
});

const broken = [
  ['a row with half a blood pressure', 'effective,systolic,diastolic\n2026/11/01 07:00,128,\n', /line 2: blood pressure needs a number in both/],
  ['an implausible weight', '日時,体重\n2026/11/01 07:00,61\n2026/11/02 07:00,900\n', /line 3: /],
  ['a measurement in the future', 'effective,weight\n2999-01-01T07:00:00+09:00,61\n', /line 2: /],
  ['a quote left open', 'effective,weight\n2026/11/01 07:00,"61\n', /not closed/],
  ['no date column', 'weight\n61\n', /not a file the service imports/],
];
for (const [what, body, why] of broken) {
  test(`R2.9 R4.2 refused: ${what}; nothing is stored`, async () => {
    const me = await signupAndLogin(srv);
    const r = await upload(me, body);
    assert.ok(r.status === 422 || r.status === 415, r.text);
    assert.match(r.body.detail, why);
    assert.equal(count(me), 0);
  });
}
