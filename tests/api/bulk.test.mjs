// FHIR Bulk Data export to another provider (R4.4, R3.4, R3.7, R3.9): a
// recipient's client starts an export, polls, fetches NDJSON per type; it
// gets the records of exactly the persons whose live consent covers it and
// the kind of data, each page recorded as a provision; a withdrawal stops
// the next fetch; anyone else's export reads as absent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr, decide, publishPurpose, clientToken, exportStatus } from './helpers.mjs';
import { validateProfiled } from './profiles.mjs';

let srv;
const run = (...args) => {
  const r = phr([...args, '--data', srv.data, '--log-level', 'warn']);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout ? JSON.parse(r.stdout) : null;
};
const recipient = (name) => {
  const r = run('recipient', 'add', '--name', name, '--address', '1-1 Chiyoda, Tokyo', '--country', 'JP', '--contact', 'desk@example.jp');
  run('recipient', 'agreement', '--recipient', r.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-2026-1',
    '--certification', 'Pマーク', '--cert-expires', '2028-03-31');
  return r;
};
const tokenFor = async (r) => {
  const t = await clientToken(srv, r.client_id, r.client_secret);
  assert.equal(t.status, 200, t.text);
  return t.body.access_token;
};
const ASYNC = { prefer: 'respond-async', accept: 'application/fhir+json' };
const kickoff = (token, query = '', headers = ASYNC) => call(srv, 'GET', `/fhir/$export${query}`, { token, headers });
const fetchFile = async (token, url) => {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await r.text();
  return { status: r.status, type: r.headers.get('content-type'), lines: text ? text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [] };
};
const provisions = (p) => Number(sql(srv.data, `SELECT count(*) FROM provisions WHERE person_id = '${p.personId}'`));
const measure = async (p, sys, when) => {
  const r = await call(srv, 'POST', '/fhir/Observation', { token: p.token, body: bloodPressure(sys, 80, when) });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
};

let clinic, clinicToken, other, otherToken, alice, bob, carol;
before(async () => {
  srv = await startServer();
  run('recipient', 'group', '--group', 'demo-partners', '--name', 'Demo Health Partners');
  clinic = recipient('Clinic A');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', clinic.id);
  clinicToken = await tokenFor(clinic);
  other = recipient('Clinic B (no group)');
  otherToken = await tokenFor(other);
  [alice, bob, carol] = [await signupAndLogin(srv), await signupAndLogin(srv), await signupAndLogin(srv)];
  for (const p of [alice, carol])
    assert.equal((await decide(srv, p.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  for (let i = 0; i < 3; i++) await measure(alice, 120 + i, `2026-11-0${i + 1}T07:00:00+09:00`);
  await measure(bob, 140, '2026-11-01T07:00:00+09:00');
  await measure(carol, 130, '2026-11-01T07:00:00+09:00');
  const okusuri = readFileSync(new URL('../fixtures/jahis/tc-minimal-valid.txt', import.meta.url));
  const imp = await call(srv, 'POST', '/api/v1/imports', { token: alice.token, body: okusuri, headers: { 'content-type': 'text/plain' } });
  assert.equal(imp.status, 201, imp.text);
});
after(async () => { await srv.stop(); });

test('R4.4 kick-off, status, NDJSON: the records of the consenting persons only, each page a provision record', async () => {
  const k = await kickoff(clinicToken, '?_type=Observation,MedicationDispense');
  assert.equal(k.status, 202, k.text);
  const status = k.headers.get('content-location');
  assert.match(status, /\/fhir\/\$export-status\/[0-9a-f-]{36}$/);
  const s = await exportStatus(status, clinicToken);
  assert.equal(s.status, 200);
  assert.ok(s.headers.get('expires'), 'the manifest says until when');
  const manifest = s.body;
  assert.equal(manifest.requiresAccessToken, true);
  assert.deepEqual(manifest.output.map((o) => [o.type, o.count]), [['Observation', 4]],
    'each file with its count; medication, which the purpose does not provide, has no file');
  assert.deepEqual(manifest.error, []);
  assert.match(manifest.transactionTime, /^\d{4}-\d\d-\d\dT/);

  const before = [provisions(alice), provisions(bob), provisions(carol)];
  const obs = await fetchFile(clinicToken, manifest.output[0].url);
  assert.equal(obs.status, 200);
  assert.match(obs.type, /application\/fhir\+ndjson/);
  const subjects = obs.lines.map((o) => o.subject.reference.slice('Patient/'.length));
  assert.equal(subjects.filter((x) => x === alice.personId).length, 3);
  assert.equal(subjects.filter((x) => x === carol.personId).length, 1);
  assert.ok(!subjects.includes(bob.personId), 'bob gave no consent');
  assert.ok(obs.lines.every((o) => o.resourceType === 'Observation'));
  for (const o of obs.lines) validateProfiled(o); // JP Core's vital-signs profile, offline
  assert.deepEqual([provisions(alice), provisions(bob), provisions(carol)], [before[0] + 1, before[1], before[2] + 1]);
  const items = sql(srv.data, `SELECT items FROM provisions WHERE person_id = '${alice.personId}' ORDER BY seq DESC LIMIT 1`);
  assert.equal(items.split(',').length, 3, 'the provision names every record sent');

  const meds = await fetchFile(clinicToken, manifest.output[0].url.replace('Observation.ndjson', 'MedicationDispense.ndjson'));
  assert.equal(meds.status, 200, 'asked for, and empty');
  assert.equal(meds.lines.length, 0, 'the purpose covers Observations only: medication is not provided');
  const kicks = sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'recipient:${clinic.id}' AND action = 'bulk.export'`);
  assert.equal(kicks, '1');
});

test('R3.9 R4.4 a withdrawal stops the export from that instant; a new record after _since alone comes with _since', async () => {
  const k = await kickoff(clinicToken, '?_type=Observation');
  const manifest = (await exportStatus(k.headers.get('content-location'), clinicToken)).body;
  assert.equal((await decide(srv, carol.token, [{ purpose: 'provision-partners', decision: 'withdraw' }])).status, 201);
  const n = provisions(carol);
  const obs = await fetchFile(clinicToken, manifest.output[0].url);
  assert.ok(!obs.lines.some((o) => o.subject.reference === `Patient/${carol.personId}`), 'withdrawn: nothing of carol');
  assert.equal(provisions(carol), n);

  await new Promise((res) => setTimeout(res, 1100));
  const fresh = await measure(alice, 150, '2026-11-20T07:00:00+09:00');
  const k2 = await kickoff(clinicToken, `?_type=Observation&_since=${encodeURIComponent(new Date(Date.now() - 500).toISOString())}`);
  assert.equal(k2.status, 202, k2.text);
  const m2 = (await exportStatus(k2.headers.get('content-location'), clinicToken)).body;
  assert.match(m2.request, /_since=/);
  const only = await fetchFile(clinicToken, m2.output[0].url);
  assert.deepEqual(only.lines.map((o) => o.id), [fresh]);
});

test('R2.9 R4.4 refusals: not async, a person, a type not exported, a future _since, someone else\'s export, a cancelled one', async () => {
  assert.equal((await kickoff(clinicToken, '', { accept: 'application/fhir+json' })).status, 400, 'Prefer: respond-async is required');
  assert.equal((await kickoff(clinicToken, '', { prefer: 'respond-async', accept: 'text/csv' })).status, 406, 'the answers are FHIR JSON');
  assert.equal((await kickoff(clinicToken, '?_outputFormat=text/csv')).status, 400);
  assert.equal((await kickoff(clinicToken, '?_type=Encounter')).status, 400);
  assert.equal((await kickoff(clinicToken, '?_since=2999-01-01T00:00:00Z')).status, 400);
  assert.equal((await kickoff(alice.token)).status, 403, 'a person uses $everything');
  assert.equal((await kickoff(null)).status, 401);

  const k = await kickoff(clinicToken, '?_type=Observation');
  const status = k.headers.get('content-location');
  const manifest = (await exportStatus(status, clinicToken)).body;
  assert.equal((await fetch(status, { headers: { authorization: `Bearer ${otherToken}` } })).status, 404, 'another client\'s export reads as absent');
  assert.equal((await fetchFile(otherToken, manifest.output[0].url)).status, 404);
  assert.equal((await fetchFile(clinicToken, manifest.output[0].url.replace('Observation.ndjson', 'MedicationStatement.ndjson'))).status, 404,
    'only the types asked for');
  const ownOther = await kickoff(otherToken, '?_type=Observation');
  const om = (await exportStatus(ownOther.headers.get('content-location'), otherToken)).body;
  assert.deepEqual(om.output, [], 'no group, no consent covers it: no file');
  const empty = await fetchFile(otherToken, `${ownOther.headers.get('content-location').replace('$export-status', '$export-file')}/Observation.ndjson`);
  assert.equal(empty.lines.length, 0, 'and fetched all the same, nothing');

  assert.equal((await fetch(status, { method: 'DELETE', headers: { authorization: `Bearer ${clinicToken}` } })).status, 202);
  assert.equal((await fetch(status, { headers: { authorization: `Bearer ${clinicToken}` } })).status, 404);
  assert.equal((await fetchFile(clinicToken, manifest.output[0].url)).status, 404, 'a cancelled export has no files');
  assert.equal((await fetch(status, { method: 'DELETE', headers: { authorization: `Bearer ${clinicToken}` } })).status, 404);
});

test('R4.4 R3.4 Bulk Data 2.0: POST with Parameters, Patient resources for the persons provided to, patient, _elements tagged SUBSETTED, _typeFilter only when lenient', async () => {
  const post = (path, parameter, headers = ASYNC) => call(srv, 'POST', path, { token: clinicToken, headers,
    body: { resourceType: 'Parameters', parameter } });
  const manifestOf = async (k) => {
    assert.equal(k.status, 202, k.text);
    return (await exportStatus(k.headers.get('content-location'), clinicToken)).body;
  };
  const files = async (m) => Object.fromEntries(await Promise.all(m.output.map(async (o) => [o.type, (await fetchFile(clinicToken, o.url)).lines])));

  const all = await files(await manifestOf(await post('/fhir/Patient/$export', [{ name: '_type', valueString: 'Patient,Observation' }])));
  // Carol withdrew in an earlier test: Alice alone consents now.
  assert.deepEqual(all.Patient.map((p) => p.id), [alice.personId],
    'a Patient for each person whose consent provides to the client, and nobody else');
  assert.ok(all.Observation.length >= 1 && all.Observation.every((o) => o.subject.reference === `Patient/${alice.personId}`),
    'every reference resolves within the export');
  const decided = () => Number(sql(srv.data, `SELECT count(*) FROM audit WHERE action = 'record.search'`
    + ` AND result = 'allow' AND actor = 'recipient:${clinic.id}'`));
  const before = decided();
  const patients = await files(await manifestOf(await post('/fhir/$export', [{ name: '_type', valueString: 'Patient' }])));
  assert.equal(patients.Patient.length, 1);
  assert.equal(decided(), before + 1, 'each Patient line is decided by the gate and recorded');

  const one = await files(await manifestOf(await post('/fhir/Patient/$export', [
    { name: 'patient', valueReference: { reference: `Patient/${alice.personId}` } },
    { name: '_type', valueString: 'Patient' }, { name: '_type', valueString: 'Observation' }])));
  assert.deepEqual(one.Patient.map((p) => p.id), [alice.personId]);
  assert.ok(one.Observation.length >= 1 && one.Observation.every((o) => o.subject.reference === `Patient/${alice.personId}`));
  const notConsented = await files(await manifestOf(await post('/fhir/Patient/$export', [
    { name: 'patient', valueReference: { reference: `Patient/${bob.personId}` } },
    { name: 'patient', valueReference: { reference: `Patient/${carol.personId}` } }])));
  assert.deepEqual(Object.values(notConsented).flat(), [], 'naming a person does not get around their consent');
  const system = await post('/fhir/$export', [{ name: 'patient', valueReference: { reference: 'Patient/123' } }]);
  assert.equal(system.status, 400, 'the patient parameter is not for a system export');

  const subset = await files(await manifestOf(await kickoff(clinicToken, '?_type=Observation&_elements=id,Observation.effectiveDateTime&_elements=Patient.meta')));
  assert.ok(subset.Observation.length >= 1);
  for (const o of subset.Observation) {
    assert.deepEqual(Object.keys(o).sort(), ['code', 'effectiveDateTime', 'id', 'meta', 'resourceType', 'status'].sort(),
      'the elements asked for and the mandatory ones');
    assert.ok(o.meta.tag.some((t) => t.code === 'SUBSETTED' && t.system === 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue'));
  }
  assert.equal((await kickoff(clinicToken, '?_elements=component.value')).status, 400, 'root elements only');

  assert.equal((await kickoff(clinicToken, '?_typeFilter=Observation%3Fcode%3D8480-6')).status, 400,
    'a filter not applied would give more than was asked for');
  const lenient = await kickoff(clinicToken, '?_typeFilter=Observation%3Fcode%3D8480-6', { ...ASYNC, prefer: 'respond-async, handling=lenient' });
  const told = await manifestOf(lenient);
  assert.equal(told.error.length, 1, 'unless the client says to ignore what is not supported: then the errors say so');
  assert.equal(told.error[0].type, 'OperationOutcome');
  const outcome = (await fetchFile(clinicToken, told.error[0].url)).lines;
  assert.equal(outcome[0].resourceType, 'OperationOutcome');
  assert.match(outcome[0].issue[0].diagnostics, /_typeFilter was ignored/);
  assert.equal((await kickoff(clinicToken, '?_unknown=1')).status, 400);
  assert.equal((await post('/fhir/$export', [])).status, 202, 'an empty Parameters starts an export');
  const since = await manifestOf(await post('/fhir/$export', [{ name: '_since', valueInstant: '2026-01-01T00:00:00Z' },
    { name: '_outputFormat', valueString: 'application/fhir+ndjson' }, { name: '_type', valueString: 'Observation' }]));
  assert.match(since.request, /_since=2026-01-01T00:00:00/);
  assert.equal((await post('/fhir/$export', [{ name: '_since', valueInstant: '2999-01-01T00:00:00Z' }])).status, 400);
  assert.equal((await post('/fhir/$export', [{ name: '_outputFormat', valueString: 'text/html' }])).status, 400);
  assert.equal((await call(srv, 'POST', '/fhir/$export', { token: clinicToken, headers: ASYNC, body: { resourceType: 'Patient' } })).status, 422);
});

// Last: it adds a second group and purpose. A recipient in two groups
// exports each Group apart: only the persons whose consent provides through
// that group, each provision naming that group's purpose.
test('R4.4 R3.4 Bulk $export by Group: the persons the group\'s purpose covers only; a group the client is not in reads as absent, recorded', async () => {
  run('recipient', 'group', '--group', 'research-partners', '--name', 'Research Partners');
  run('recipient', 'join', '--group', 'research-partners', '--recipient', clinic.id);
  const published = await publishPurpose(srv, { code: 'provision-research', required: false, title: { ja: '研究機関への提供' },
    description: { ja: '研究協力団体に加盟する機関へ、研究のためにバイタル記録を提供します。' },
    recipient_group: 'research-partners', kinds: ['vital-signs'] });
  assert.equal(published.status, 0, published.stderr);
  const dave = await signupAndLogin(srv);
  await measure(dave, 135, '2026-11-02T07:00:00+09:00');
  assert.equal((await decide(srv, dave.token, [{ purpose: 'provision-research', decision: 'grant' }])).status, 201);

  const groupFile = async (group) => {
    const k = await call(srv, 'GET', `/fhir/Group/${group}/$export?_type=Observation`, { token: clinicToken, headers: ASYNC });
    assert.equal(k.status, 202, k.text);
    const m = (await exportStatus(k.headers.get('content-location'), clinicToken)).body;
    assert.match(m.request, new RegExp(`/fhir/Group/${group}/\\$export\\?_type=Observation$`));
    return new Set((await fetchFile(clinicToken, m.output[0].url)).lines.map((o) => o.subject.reference.slice('Patient/'.length)));
  };
  const research = await groupFile('research-partners');
  assert.deepEqual([...research], [dave.personId], 'only the person who consented to the research purpose');
  const partners = await groupFile('demo-partners');
  assert.ok(!partners.has(dave.personId) && partners.has(alice.personId), 'the partners\' purpose does not cover dave');
  assert.equal(sql(srv.data, `SELECT purpose FROM provisions WHERE person_id = '${dave.personId}'`), 'provision-research');

  const denials = () => Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'recipient:${other.id}' AND action = 'bulk.export' AND result = 'deny'`));
  const before = denials();
  const absent = await call(srv, 'GET', '/fhir/Group/research-partners/$export', { token: otherToken, headers: ASYNC });
  assert.equal(absent.status, 404, absent.text);
  assert.equal(denials(), before + 1, 'the attempt is in the handling history');
  assert.equal((await call(srv, 'GET', '/fhir/Group/NOT_A_CODE/$export', { token: clinicToken, headers: ASYNC })).status, 404);
  assert.equal((await call(srv, 'GET', '/fhir/Group/research-partners/$export', { token: dave.token, headers: ASYNC })).status, 403);
  const cap = (await call(srv, 'GET', '/fhir/metadata')).body.rest[0].resource.find((x) => x.type === 'Group');
  assert.deepEqual(cap.operation.map((o) => o.name), ['export']);
});

test('R4.4 R3.7 R3.9 a recipient fetches one person\'s SPHR package: only the kinds the consent provides, each a provision; without consent nothing, and the refusal is recorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'provided-'));
  const get = (token, person) => fetch(`${srv.url}/fhir/Patient/${person}/$sphr`, { headers: { authorization: `Bearer ${token}` } });
  const unzip = (zip, name) => execFileSync('unzip', ['-p', zip, name], { encoding: 'utf8' });
  const dave = await signupAndLogin(srv);
  assert.equal((await decide(srv, dave.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  await measure(dave, 118, '2026-11-05T07:00:00+09:00');
  await measure(dave, 121, '2026-11-06T07:00:00+09:00');
  const okusuri = readFileSync(new URL('../fixtures/jahis/tc-minimal-valid.txt', import.meta.url));
  assert.equal((await call(srv, 'POST', '/api/v1/imports', { token: dave.token, body: okusuri, headers: { 'content-type': 'text/plain' } })).status, 201);

  const before = provisions(dave);
  const res = await get(clinicToken, dave.personId);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/zip');
  const zip = join(dir, 'dave.zip');
  writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
  const entries = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n');
  const folder = entries[0].split('/')[0], files = entries.map((f) => f.slice(folder.length + 1));
  assert.ok(files.includes('fhir/everything.json') && files.includes('csv/observations.csv'), files.join(' '));
  assert.ok(!files.some((f) => f.startsWith('originals/')), 'the purpose covers Observations only: no imported file');
  const bundle = JSON.parse(unzip(zip, `${folder}/fhir/everything.json`));
  const types = bundle.entry.map((e) => e.resource.resourceType);
  assert.deepEqual([...new Set(types)].sort(), ['Observation', 'Patient'], 'no medication, no documents');
  assert.equal(types.filter((t) => t === 'Observation').length, 2);
  for (const e of bundle.entry) validateProfiled(e.resource);
  assert.equal(provisions(dave), before + 1, 'one provision: the Observations');
  const items = sql(srv.data, `SELECT items FROM provisions WHERE person_id = '${dave.personId}' ORDER BY seq DESC LIMIT 1`);
  assert.deepEqual(items.split(',').sort(), bundle.entry.filter((e) => e.resource.resourceType === 'Observation')
    .map((e) => `Observation/${e.resource.id}/_history/${e.resource.meta.versionId}`).sort(),
  'the provision names every record that went in, and its version');

  // bob gave no consent; a group-less client is covered by no purpose; an id that is no one's.
  for (const [token, person] of [[clinicToken, bob.personId], [otherToken, dave.personId], [clinicToken, '01a24250-0000-7000-8000-000000000000']]) {
    const denied = () => Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor LIKE 'recipient:%' AND result = 'deny' AND subject = '${person}'`));
    const denies = denied();
    const r = await get(token, person);
    assert.equal(r.status, 404, await r.text());
    assert.equal(denied(), denies + 1, 'recorded, naming the person asked for');
  }
  assert.equal(provisions(bob), 0);
  assert.equal((await get(dave.token, dave.personId)).status, 403, 'a person downloads their own package elsewhere');
  // A withdrawal stops it from that instant.
  assert.equal((await decide(srv, dave.token, [{ purpose: 'provision-partners', decision: 'withdraw' }])).status, 201);
  const n = provisions(dave);
  assert.equal((await get(clinicToken, dave.personId)).status, 404);
  assert.equal(provisions(dave), n);
});

test('R4.4 R3.4 R3.7 a document\'s file: the DocumentReference names it by an absolute url; fetched with a token under a consent to documents, never without', async () => {
  const published = await publishPurpose(srv, { code: 'provision-documents', required: false,
    title: { ja: '提携先団体への取り込んだ文書の提供' }, description: { ja: '提携先団体に加盟する事業者へ、取り込んだ文書を提供します。' },
    recipient_group: 'demo-partners', kinds: ['vital-signs', 'checkup', 'medication', 'immunization', 'documents'] });
  assert.equal(published.status, 0, published.stderr);
  assert.equal((await decide(srv, alice.token, [{ purpose: 'provision-documents', decision: 'grant' }])).status, 201);
  const k = await kickoff(clinicToken, '?_type=DocumentReference');
  const m = (await exportStatus(k.headers.get('content-location'), clinicToken)).body;
  assert.deepEqual(m.output.map((o) => [o.type, o.count]), [['DocumentReference', 1]]);
  const docs = (await fetchFile(clinicToken, m.output[0].url)).lines;
  assert.equal(docs[0].subject.reference, `Patient/${alice.personId}`);
  const url = docs[0].content[0].attachment.url;
  assert.match(url, new RegExp(`^${srv.url}/fhir/Binary/${docs[0].id}$`), 'absolute, where the file is');
  assert.ok(docs[0].content[0].attachment.contentType);
  assert.equal((await fetch(url)).status, 401, 'not without a token');
  const before = provisions(alice);
  const file = await fetch(url, { headers: { authorization: `Bearer ${clinicToken}` } });
  assert.equal(file.status, 200);
  assert.match(await file.text(), /^JAHISTC/, 'the file as it was imported');
  assert.equal(provisions(alice), before + 1, 'its provision is recorded');
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${otherToken}` } })).status, 404, 'another client\'s reads as absent');
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${alice.token}` } })).status, 200, 'the person reads their own');
  assert.equal((await decide(srv, alice.token, [{ purpose: 'provision-documents', decision: 'withdraw' }])).status, 201);
  assert.notEqual((await fetch(url, { headers: { authorization: `Bearer ${clinicToken}` } })).status, 200, 'withdrawn: not any more');
});
