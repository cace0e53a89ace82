// The gate (design invariant 1, R2.3): a person reaches only their own
// records; everything else is 404 (ids do not leak) and is audited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, signupAndLogin, bloodPressure, quantity, sql, nothingFound } from './helpers.mjs';

let srv, alice, bob, aliceRecord;
before(async () => {
  srv = await startServer();
  alice = await signupAndLogin(srv);
  bob = await signupAndLogin(srv);
  const r = await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: bloodPressure(131, 85) });
  assert.equal(r.status, 201);
  aliceRecord = r.body;
});
after(async () => srv.stop());

const denials = (who) =>
  Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'person:${who.personId}' AND result = 'deny'`));

test('R2.3 another person cannot read a record: 404 like a missing id, and audited', async () => {
  const before = denials(bob);
  const theirs = await call(srv, 'GET', `/fhir/Observation/${aliceRecord.id}`, { token: bob.token });
  const missing = await call(srv, 'GET', '/fhir/Observation/00000000-0000-4000-8000-000000000000', { token: bob.token });
  assert.equal(theirs.status, 404);
  assert.equal(missing.status, 404);
  assert.deepEqual(theirs.body, missing.body);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${aliceRecord.id}/_history`, { token: bob.token })).status, 404);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${aliceRecord.id}/_history/1`, { token: bob.token })).status, 404);
  assert.equal(denials(bob), before + 4);
  const row = sql(srv.data, `SELECT action || '|' || subject || '|' || records FROM audit WHERE actor = 'person:${bob.personId}' AND result = 'deny' AND records = '${aliceRecord.id}' LIMIT 1`);
  assert.equal(row, `record.read|${alice.personId}|${aliceRecord.id}`);
});

test('R2.3 another person cannot search someone else: nothing found, as for an id no one has, and audited', async () => {
  const before = denials(bob);
  const r = await call(srv, 'GET', `/fhir/Observation?patient=${alice.personId}`, { token: bob.token });
  nothingFound(r, 'someone else');
  const r2 = await call(srv, 'GET', `/fhir/Observation?subject=Patient/${alice.personId}&code=85354-9`, { token: bob.token });
  nothingFound(r2, 'someone else, by subject');
  const r3 = await call(srv, 'GET', '/fhir/Observation?patient=00000000-0000-4000-8000-000000000000', { token: bob.token });
  nothingFound(r3, 'no one');
  assert.deepEqual(Object.keys(r3.body).sort(), Object.keys(r.body).sort(), 'the same answer either way');
  assert.equal(denials(bob), before + 3);
  // Bob's own search holds nothing of Alice's.
  const own = await call(srv, 'GET', '/fhir/Observation', { token: bob.token });
  assert.equal(own.body.total, 0);
});

test('R2.3 another person cannot overwrite a record; it stays as it was', async () => {
  const before = denials(bob);
  const forged = { ...bloodPressure(90, 60), id: aliceRecord.id };
  const r = await call(srv, 'PUT', `/fhir/Observation/${aliceRecord.id}`, { token: bob.token, body: forged });
  assert.equal(r.status, 404);
  const still = await call(srv, 'GET', `/fhir/Observation/${aliceRecord.id}`, { token: alice.token });
  assert.deepEqual(still.body, aliceRecord);
  assert.equal(denials(bob), before + 1);
});

test('R2.3 a person cannot record data about someone else', async () => {
  const before = denials(bob);
  const body = quantity('29463-7', 70, 'kg', undefined, { subject: { reference: `Patient/${alice.personId}` } });
  const r = await call(srv, 'POST', '/fhir/Observation', { token: bob.token, body });
  assert.equal(r.status, 403);
  assert.equal(denials(bob), before + 1);
  const aliceCount = await call(srv, 'GET', '/fhir/Observation?_count=0', { token: alice.token });
  assert.equal(aliceCount.body.total, 1);
});

test('R2.3 without a session nothing is served', async () => {
  for (const [m, p] of [['GET', '/fhir/Observation'], ['GET', `/fhir/Observation/${aliceRecord.id}`], ['POST', '/fhir/Observation']]) {
    const r = await call(srv, m, p, { body: m === 'POST' ? bloodPressure(120, 80) : undefined });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
  }
  const forged = await call(srv, 'GET', '/fhir/Observation', { token: 'A'.repeat(43) });
  assert.equal(forged.status, 401);
});

test('R2.3 every allowed access is in the handling history, with no health values', async () => {
  const allowed = sql(srv.data, `SELECT action FROM audit WHERE actor = 'person:${alice.personId}' AND result = 'allow' ORDER BY seq`);
  assert.deepEqual(allowed.split('\n'), ['account.login', 'consent.record', 'record.create', 'record.read', 'record.search']);
  // Text columns, with ids, record references (a write's with the digest
  // that binds its row: a hash of sealed bytes) and addresses taken out,
  // hold no value or code.
  const dump = sql(srv.data, "SELECT actor, role, action, subject, records, reason, client, result FROM audit")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
    .replace(/[A-Za-z]+\/ID\/_history\/\d+(@[0-9a-f]{32})?/g, 'REC')
    .replace(/127\.0\.0\.1/g, 'IP');
  assert.doesNotMatch(dump, /131|85|85354|mm\[Hg\]|Observation|final/);
});
