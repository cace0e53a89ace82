// Consent by kind of data (R3.4, R3.6, R3.7): the demo purpose tells the
// person "vital-sign records", and that is all a recipient under it gets —
// never the checkup results, medication or imported files the person also
// keeps, though checkup results are FHIR Observations too. Tried on every
// path a recipient has: search (with its total), read, vread, history,
// Bulk $export and $sphr; every refusal recorded, every provision naming
// the record and the version that went out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, bloodPressure, quantity, sql, phr, decide, importFile, publishPurpose, clientToken, exportStatus, nothingFound } from './helpers.mjs';

const CDA = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');
const OKUSURI = readFileSync(new URL('../fixtures/jahis/tc-minimal-valid.txt', import.meta.url));
const ITEM_SYSTEM = 'urn:oid:1.2.392.200119.6.1005';

let srv, clinic, token, carol, bp, weight, checkupId;
const run = (...args) => {
  const r = phr([...args, '--data', srv.data, '--log-level', 'warn']);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout ? JSON.parse(r.stdout) : null;
};
const get = (path) => call(srv, 'GET', path, { token });
const denials = () => Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'recipient:${clinic.id}' AND result = 'deny' AND subject = '${carol.personId}'`));
const lastDenial = () => sql(srv.data, `SELECT action || ' ' || reason FROM audit WHERE actor = 'recipient:${clinic.id}' AND result = 'deny' ORDER BY seq DESC LIMIT 1`);
const provided = () => sql(srv.data, `SELECT items FROM provisions WHERE person_id = '${carol.personId}' ORDER BY seq`).split('\n').filter(Boolean).join(',');
const isCheckup = (o) => (o.code?.coding || []).some((c) => c.system === ITEM_SYSTEM);

before(async () => {
  srv = await startServer();
  root = join(srv.data, '..');
  run('recipient', 'group', '--group', 'demo-partners', '--name', 'Demo Health Partners');
  clinic = run('recipient', 'add', '--name', 'Clinic K', '--address', '1-1 Chiyoda, Tokyo', '--country', 'JP', '--contact', 'desk@example.jp');
  run('recipient', 'agreement', '--recipient', clinic.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-1',
    '--certification', 'Pマーク', '--cert-expires', '2028-03-31');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', clinic.id);
  const t = await clientToken(srv, clinic.client_id, clinic.client_secret);
  assert.equal(t.status, 200, t.text);
  token = t.body.access_token;

  carol = await signupAndLogin(srv);
  assert.equal((await decide(srv, carol.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  const r = await call(srv, 'POST', '/fhir/Observation', { token: carol.token, body: bloodPressure(190, 110, '2026-11-02T07:00:00+09:00') });
  assert.equal(r.status, 201, r.text);
  bp = r.body;
  // Corrected: the recipient must only ever see 130.
  const fixed = { ...bloodPressure(130, 80, '2026-11-02T07:00:00+09:00'), id: bp.id };
  const u = await call(srv, 'PUT', `/fhir/Observation/${bp.id}`, { token: carol.token, body: fixed, headers: { 'if-match': 'W/"1"' } });
  assert.equal(u.status, 200, u.text);
  const w = await call(srv, 'POST', '/fhir/Observation', { token: carol.token, body: quantity('29463-7', 52.4, 'kg', '2026-11-03T07:00:00+09:00') });
  assert.equal(w.status, 201, w.text);
  weight = w.body.id;
  assert.equal((await importFile(srv, carol, CDA, 'application/xml')).status, 201);
  assert.equal((await importFile(srv, carol, OKUSURI, 'text/plain')).status, 201);
  checkupId = sql(srv.data, `SELECT id FROM records WHERE person_id = '${carol.personId}' AND code_system = '${ITEM_SYSTEM}' LIMIT 1`);
  assert.match(checkupId, /^[0-9a-f-]{36}$/);
});
let root;
after(async () => {
  await srv.stop();
  rmSync(root, { recursive: true, force: true });
});

test('R3.4 the person is shown the kinds a provision purpose gives, from the table the gate decides on', async () => {
  const p = (await call(srv, 'GET', '/api/v1/policies')).body.purposes.find((x) => x.code === 'provision-partners');
  assert.deepEqual(p.kinds, 'vital-signs');
  assert.deepEqual(p.data_kinds.map((k) => k.code), ['blood-pressure', 'body-weight', 'body-height', 'bmi',
    'body-temperature', 'oxygen-saturation', 'heart-rate', 'blood-glucose', 'steps']);
  assert.equal(p.data_kinds[0].title.ja, '血圧');
  assert.ok(!p.data_kinds.some((k) => k.code === 'checkup'));
});

test('R3.4 R3.6 a search gives the vital signs only: checkup results are neither sent nor counted', async () => {
  const all = await get(`/fhir/Observation?patient=${carol.personId}&_total=accurate`);
  assert.equal(all.status, 200, all.text);
  const obs = all.body.entry.map((e) => e.resource);
  assert.equal(obs.length, 2, 'the blood pressure and the weight');
  assert.equal(all.body.total, 2, 'the total counts what is provided, nothing more');
  assert.ok(!obs.some(isCheckup), 'no checkup result');
  assert.equal(obs.find((o) => o.id === bp.id).component[0].valueQuantity.value, 130, 'the current version only');
  const lab = await get(`/fhir/Observation?patient=${carol.personId}&category=laboratory&_total=accurate`);
  assert.equal(lab.status, 200, lab.text);
  assert.equal(lab.body.total, 0);
  assert.equal((lab.body.entry || []).length, 0);
  const code = await get(`/fhir/Observation?patient=${carol.personId}&code=${ITEM_SYSTEM}|9N001000000000001`);
  assert.equal((code.body.entry || []).length, 0);
  assert.ok(!provided().includes(checkupId));
  assert.match(provided(), new RegExp(`Observation/${bp.id}/_history/2`), 'the provision names the version sent');
});

test('R3.4 R3.6 a search across types (GET /fhir) gives the vital signs only; a type not provided is nothing found, recorded', async () => {
  const all = await get(`/fhir?patient=${carol.personId}&_total=accurate`);
  assert.equal(all.status, 200, all.text);
  const got = all.body.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
  assert.deepEqual(got, [`Observation/${bp.id}`, `Observation/${weight}`].sort(), 'no checkup, medication or document');
  assert.equal(all.body.total, 2, 'nor counted');
  assert.ok(all.body.entry.every((e) => e.fullUrl === `${srv.url}/fhir/${e.resource.resourceType}/${e.resource.id}`));
  const before = denials();
  const med = await get(`/fhir?patient=${carol.personId}&_type=MedicationDispense,DocumentReference`);
  nothingFound(med, 'medication and documents are provided under no purpose carol agreed to');
  assert.equal(denials(), before + 1, 'the refusal is recorded');
  assert.ok(!provided().includes(checkupId));
});

test('R3.4 R2.3 reading a checkup result by id is refused as absent and recorded with the kind not covered', async () => {
  const before = denials();
  const r = await get(`/fhir/Observation/${checkupId}`);
  assert.equal(r.status, 404, r.text);
  assert.doesNotMatch(r.text, /158|52\.4|身長/);
  assert.equal(denials(), before + 1);
  assert.equal(lastDenial(), 'record.read no-provision-basis:checkup');
  const ok = await get(`/fhir/Observation/${weight}`);
  assert.equal(ok.status, 200, ok.text);
  assert.match(provided(), new RegExp(`Observation/${weight}/_history/1`));
});

test('R3.4 old versions never reach a recipient: vread of a corrected value and history are refused and recorded', async () => {
  const before = denials();
  const old = await get(`/fhir/Observation/${bp.id}/_history/1`);
  assert.equal(old.status, 404, old.text);
  assert.doesNotMatch(old.text, /190/);
  const current = await get(`/fhir/Observation/${bp.id}/_history/2`);
  assert.equal(current.status, 200, current.text);
  assert.equal(current.body.component[0].valueQuantity.value, 130);
  const history = await get(`/fhir/Observation/${bp.id}/_history`);
  assert.equal(history.status, 404, history.text);
  assert.doesNotMatch(history.text, /190/);
  assert.equal(denials(), before + 2);
});

test('R3.4 medication and imported files are covered by no kind the person consented to: refused, recorded', async () => {
  for (const type of ['MedicationDispense', 'MedicationStatement', 'DocumentReference', 'Immunization']) {
    const before = denials();
    const r = await get(`/fhir/${type}?patient=${carol.personId}`);
    nothingFound(r, type);
    assert.equal(denials(), before + 1, `${type}: recorded`);
  }
  const docs = sql(srv.data, `SELECT id FROM records WHERE person_id = '${carol.personId}' AND resource_type = 'DocumentReference'`).split('\n');
  assert.equal(docs.length, 2);
  for (const id of docs) assert.equal((await get(`/fhir/DocumentReference/${id}`)).status, 404);
});

test('R4.4 R3.4 Bulk $export: the vital signs only, in the Observation file; medication and documents empty', async () => {
  const k = await call(srv, 'GET', '/fhir/$export', { token, headers: { prefer: 'respond-async', accept: 'application/fhir+json' } });
  assert.equal(k.status, 202, k.text);
  const manifest = (await exportStatus(k.headers.get('content-location'), token)).body;
  const lines = {};
  for (const o of manifest.output) {
    const text = await (await fetch(o.url, { headers: { authorization: `Bearer ${token}` } })).text();
    lines[o.type] = text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((x) => x.subject?.reference === `Patient/${carol.personId}`);
  }
  assert.equal(lines.Observation.length, 2);
  assert.ok(!lines.Observation.some(isCheckup), 'no checkup result in the export');
  assert.equal(lines.Observation.find((o) => o.id === bp.id).component[0].valueQuantity.value, 130);
  for (const t of ['MedicationDispense', 'MedicationStatement', 'DocumentReference']) assert.equal((lines[t] || []).length, 0, t);
  assert.ok(!provided().includes(checkupId));
});

test('R4.4 R3.4 $sphr: a package of vital signs, without the checkup CDA, the medication or the originals', async () => {
  const res = await fetch(`${srv.url}/fhir/Patient/${carol.personId}/$sphr`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const dir = mkdtempSync(join(tmpdir(), 'kinds-'));
  const zip = join(dir, 'p.zip');
  writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
  const entries = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n');
  const folder = entries[0].split('/')[0], files = entries.map((f) => f.slice(folder.length + 1));
  assert.ok(!files.some((f) => f.startsWith('cda/') || f.startsWith('originals/')), files.join(' '));
  const bundle = JSON.parse(execFileSync('unzip', ['-p', zip, `${folder}/fhir/everything.json`], { encoding: 'utf8' }));
  const obs = bundle.entry.map((e) => e.resource).filter((r) => r.resourceType !== 'Patient');
  assert.deepEqual(obs.map((o) => o.resourceType), ['Observation', 'Observation']);
  assert.ok(!obs.some(isCheckup));
  const csv = execFileSync('unzip', ['-p', zip, `${folder}/csv/observations.csv`], { encoding: 'utf8' });
  assert.doesNotMatch(csv, /158\.2|身長/);
  rmSync(dir, { recursive: true, force: true });
});

test('R3.5 a manifest naming resource types as kinds is refused, and nothing is published', async () => {
  const before = sql(srv.data, 'SELECT count(*) FROM purposes');
  for (const [kinds, message] of [[['Observation'], /'Observation' is not a kind of data/], [['documents'], /documents/],
    [['vital-signs', 'lab'], /'lab' is not a kind/]]) {
    const r = await publishPurpose(srv, { code: 'provision-x', required: false, title: { ja: 'x' }, description: { ja: 'x' },
      recipient_group: 'demo-partners', kinds });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, message);
  }
  assert.equal(sql(srv.data, 'SELECT count(*) FROM purposes'), before);
});

test('R3.4 records kept before kinds were (a store from an older phr) are provided under no purpose until start-up classifies them', async () => {
  sql(srv.data, `UPDATE records SET data_kind = NULL WHERE person_id = '${carol.personId}'`);
  const before = await get(`/fhir/Observation?patient=${carol.personId}`);
  assert.equal(before.status, 200, before.text);
  assert.equal((before.body.entry || []).length, 0, 'an unclassified record matches no kind');
  assert.equal((await get(`/fhir/Observation/${weight}`)).status, 404);
  await srv.stop({ keep: true });
  srv = await startServer({ data: srv.data });
  assert.equal(sql(srv.data, `SELECT count(*) FROM records WHERE data_kind IS NULL`), '0');
  assert.equal(sql(srv.data, `SELECT data_kind FROM records WHERE id = '${checkupId}'`), 'checkup');
  const after = await get(`/fhir/Observation?patient=${carol.personId}`);
  assert.deepEqual(after.body.entry.map((e) => e.resource.id).sort(), [bp.id, weight].sort());
});

// Last: it publishes a second purpose. The same recipient, once the person
// consents to checkup results for it too, gets them, under that purpose.
test('R3.4 R3.7 a purpose that names checkup results provides them, each provision under the purpose that covers it', async () => {
  const published = await publishPurpose(srv, { code: 'provision-checkups', required: false, title: { ja: '健診結果の提供' },
    description: { ja: '提携先団体に加盟する事業者へ、保健指導のために健診結果を提供します。' },
    recipient_group: 'demo-partners', kinds: ['checkup'] });
  assert.equal(published.status, 0, published.stderr);
  const lab = await get(`/fhir/Observation?patient=${carol.personId}&category=laboratory`);
  assert.equal((lab.body.entry || []).length, 0, 'not before the person consents');
  assert.equal((await decide(srv, carol.token, [{ purpose: 'provision-checkups', decision: 'grant' }])).status, 201);
  const all = await get(`/fhir/Observation?patient=${carol.personId}&_count=100`);
  const obs = all.body.entry.map((e) => e.resource);
  assert.ok(obs.some(isCheckup) && obs.some((o) => o.id === weight));
  const byPurpose = sql(srv.data, `SELECT purpose || ' ' || items FROM provisions WHERE person_id = '${carol.personId}' ORDER BY seq DESC LIMIT 2`).split('\n');
  const checkups = byPurpose.find((l) => l.startsWith('provision-checkups '));
  const vitals = byPurpose.find((l) => l.startsWith('provision-partners '));
  assert.ok(checkups.includes(checkupId) && !checkups.includes(weight), checkups);
  assert.ok(vitals.includes(weight) && !vitals.includes(checkupId), vitals);
  const reason = sql(srv.data, `SELECT reason FROM audit WHERE actor = 'recipient:${clinic.id}' AND action = 'record.search' ORDER BY seq DESC LIMIT 1`);
  assert.equal(reason, 'purpose:provision-partners,provision-checkups');
  // The CDA the results came from is a document, which no purpose carol agreed to provides: not included.
  const withDocs = await get(`/fhir/Observation?patient=${carol.personId}&category=laboratory&_include=*&_revinclude=Provenance:target`);
  assert.equal(withDocs.status, 200, withDocs.text);
  assert.ok(withDocs.body.entry.some((e) => e.search.mode === 'match'));
  assert.deepEqual(withDocs.body.entry.filter((e) => e.search.mode === 'include').map((e) => e.resource.resourceType), ['Patient'],
    'no document, and no provision records (they are carol\'s to read)');
  assert.ok(!sql(srv.data, `SELECT items FROM provisions WHERE person_id = '${carol.personId}' ORDER BY seq DESC LIMIT 1`).includes('DocumentReference'));
  // The person herself gets the document once, and the provisions that sent what the page holds.
  const own = await call(srv, 'GET', '/fhir/Observation?category=laboratory&_include=Observation:derived-from&_revinclude=Provenance:target&_count=100',
    { token: carol.token });
  const included = own.body.entry.filter((e) => e.search.mode === 'include').map((e) => e.resource);
  const docs = included.filter((r) => r.resourceType === 'DocumentReference');
  assert.equal(docs.length, 1, 'the CDA, once, for all its results');
  const matches = own.body.entry.filter((e) => e.search.mode === 'match').map((e) => e.resource);
  assert.ok(matches.every((o) => o.derivedFrom?.[0]?.reference === `DocumentReference/${docs[0].id}`));
  const provs = included.filter((r) => r.resourceType === 'Provenance');
  assert.ok(provs.length >= 1 && provs.every((p) => p.target.some((t) => matches.some((o) => t.reference.startsWith(`Observation/${o.id}/`)))),
    JSON.stringify(provs.map((p) => p.target)));
  const sent = sql(srv.data, `SELECT count(*) FROM provisions WHERE person_id = '${carol.personId}' AND items LIKE '%${checkupId}%'`);
  assert.equal(provs.length, Number(sent), 'every provision that sent one of them');
});
