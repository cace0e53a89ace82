// Transactions and batches (issue 20 item 5; R1.2, R2.3, R3.12): POST /fhir
// with a Bundle of Observation writes. A transaction is all or nothing, one
// commit, urn:uuid references resolved; a batch answers each entry on its
// own. The gate decides every entry as it would the write alone, and a
// refusal is on the record even when the rest is undone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'fhir-kit-client';
import { startServer, call, signupAndLogin, bloodPressure, quantity, sql } from './helpers.mjs';
import { validateResource } from './profiles.mjs';

let srv, root, p, other, theirs;
before(async () => {
  srv = await startServer();
  root = join(srv.data, '..');
  p = await signupAndLogin(srv);
  other = await signupAndLogin(srv);
  theirs = (await call(srv, 'POST', '/fhir/Observation', { token: other.token, body: quantity('29463-7', 80, 'kg') })).body;
});
after(async () => {
  await srv.stop();
  rmSync(root, { recursive: true, force: true });
});

const count = (who = p) => Number(sql(srv.data, `SELECT count(*) FROM records WHERE person_id = '${who.personId}'`));
const denials = (who) => Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'person:${who.personId}' AND result = 'deny'`));
const bundle = (type, entry) => ({ resourceType: 'Bundle', type, entry });
const post = (resource, extra = {}) => ({ resource, request: { method: 'POST', url: 'Observation', ...extra } });
const send = (b, who = p) => call(srv, 'POST', '/fhir', { token: who.token, body: b });

test('R1.2 a transaction writes every entry in one commit; urn:uuid references name the ids given', async () => {
  const first = (await call(srv, 'POST', '/fhir/Observation', { token: p.token, body: quantity('29463-7', 60, 'kg', '2026-11-01T07:00:00+09:00') })).body;
  const before_ = count();
  const derived = { ...quantity('39156-5', 22.1, 'kg/m2', '2026-11-02T07:00:00+09:00'), derivedFrom: [{ reference: 'urn:uuid:7f6c7f0e-9a43-4e52-9d52-1f0d1d8c1a01' }] };
  const r = await send(bundle('transaction', [
    { fullUrl: 'urn:uuid:7f6c7f0e-9a43-4e52-9d52-1f0d1d8c1a01', ...post(quantity('29463-7', 61, 'kg', '2026-11-02T07:00:00+09:00')) },
    { fullUrl: 'urn:uuid:7f6c7f0e-9a43-4e52-9d52-1f0d1d8c1a02', ...post(derived) },
    { resource: { ...quantity('29463-7', 60.5, 'kg', '2026-11-01T07:00:00+09:00'), id: first.id }, request: { method: 'PUT', url: `Observation/${first.id}`, ifMatch: 'W/"1"' } },
  ]));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(await validateResource(r.body), [], 'a valid transaction-response');
  assert.equal(r.body.type, 'transaction-response');
  assert.deepEqual(r.body.entry.map((e) => e.response.status), ['201 Created', '201 Created', '200 OK']);
  const weightId = r.body.entry[0].resource.id;
  assert.equal(r.body.entry[1].resource.derivedFrom[0].reference, `Observation/${weightId}`, 'the urn:uuid resolved');
  assert.equal(r.body.entry[2].resource.meta.versionId, '2');
  assert.equal(r.body.entry[0].fullUrl, `${srv.url}/fhir/Observation/${weightId}`);
  assert.equal(count(), before_ + 3, 'two new records and a new version');
});

test('R1.2 a transaction with one bad entry writes nothing, and says which entry', async () => {
  const before_ = count();
  const r = await send(bundle('transaction', [
    post(quantity('29463-7', 62, 'kg')),
    post(quantity('29463-7', 9999, 'kg')),
  ]));
  assert.equal(r.status, 422, r.text);
  assert.match(r.body.issue[0].expression[0], /^Bundle\.entry\[1\]\.resource\.valueQuantity/);
  assert.equal(count(), before_);
  const unknown = await send(bundle('transaction', [post(quantity('29463-7', 62, 'kg')), { request: { method: 'DELETE', url: `Observation/${theirs.id}` } }]));
  assert.equal(unknown.status, 400);
  assert.deepEqual(unknown.body.issue[0].expression, ['Bundle.entry[1].request.url']);
  for (const bad of [{ resourceType: 'Bundle', type: 'collection', entry: [] }, { resourceType: 'Patient' },
    bundle('transaction', Array.from({ length: 101 }, () => post(quantity('29463-7', 62, 'kg'))))]) {
    const b = await send(bad);
    assert.equal(b.status, 400, b.text);
  }
  assert.equal(count(), before_);
});

test('R2.3 R1.2 someone else\'s record in a transaction: nothing written, 404, and the refusal recorded', async () => {
  const before_ = count();
  const denied = denials(p);
  const r = await send(bundle('transaction', [
    post(quantity('29463-7', 63, 'kg')),
    { resource: { ...quantity('29463-7', 1, 'kg'), id: theirs.id }, request: { method: 'PUT', url: `Observation/${theirs.id}` } },
  ]));
  assert.equal(r.status, 404, r.text);
  assert.equal(count(), before_);
  assert.equal(denials(p), denied + 1, 'the refusal stays on the record');
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${theirs.id}`, { token: other.token })).body.valueQuantity.value, 80);
});

test('R1.2 a batch answers each entry: the good ones written, the bad ones refused with their outcome', async () => {
  const before_ = count();
  const r = await send(bundle('batch', [
    post(quantity('29463-7', 64, 'kg')),
    post(quantity('29463-7', 9999, 'kg')),
    { resource: { ...quantity('29463-7', 1, 'kg'), id: theirs.id }, request: { method: 'PUT', url: `Observation/${theirs.id}` } },
    { request: { method: 'GET', url: 'Observation' } },
    post(bloodPressure(120, 80)),
  ]));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.type, 'batch-response');
  assert.deepEqual(await validateResource(r.body), []);
  assert.deepEqual(r.body.entry.map((e) => e.response.status), ['201 Created', '422', '404', '400', '201 Created']);
  assert.equal(r.body.entry[1].response.outcome.resourceType, 'OperationOutcome');
  assert.equal(count(), before_ + 2);
});

test('R1.2 conditional entries: ifNoneExist makes a repeated upload idempotent; a conditional PUT corrects by identifier', async () => {
  const reading = (n, v) => quantity('29463-7', v, 'kg', '2026-11-10T07:00:00+09:00', { identifier: [{ system: 'urn:example:scale', value: n }] });
  const upload = () => send(bundle('transaction', [
    post(reading('t-1', 65), { ifNoneExist: 'identifier=urn:example:scale|t-1' }),
    post(reading('t-2', 66), { ifNoneExist: 'identifier=urn:example:scale|t-2' }),
  ]));
  const first = await upload();
  assert.deepEqual(first.body.entry.map((e) => e.response.status), ['201 Created', '201 Created'], first.text);
  const before_ = count();
  const again = await upload();
  assert.deepEqual(again.body.entry.map((e) => e.response.status), ['200 OK', '200 OK']);
  assert.deepEqual(again.body.entry.map((e) => e.resource.id), first.body.entry.map((e) => e.resource.id));
  assert.equal(count(), before_);
  const fix = await send(bundle('transaction', [{ resource: reading('t-1', 65.5), request: { method: 'PUT', url: 'Observation?identifier=urn:example:scale|t-1' } }]));
  assert.equal(fix.status, 200, fix.text);
  assert.equal(fix.body.entry[0].response.status, '200 OK');
  assert.equal(fix.body.entry[0].resource.valueQuantity.value, 65.5);
});

test('R1.2 fhir-kit-client sends a transaction and a batch', async () => {
  const client = new Client({ baseUrl: `${srv.url}/fhir`, bearerToken: p.token });
  const tx = await client.transaction({ body: bundle('transaction', [post(quantity('29463-7', 67, 'kg'))]) });
  assert.equal(tx.type, 'transaction-response');
  const batch = await client.batch({ body: bundle('batch', [post(quantity('29463-7', 68, 'kg'))]) });
  assert.equal(batch.entry[0].response.status, '201 Created');
});
