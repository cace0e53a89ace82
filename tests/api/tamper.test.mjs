// Tamper evidence that reaches past the audit table (issue 17 item 7,
// R2.3, design invariant 4): a checkpoint signed when the service opens; a
// witness outside the database that `phr audit verify --witness` holds the
// store against, so cutting the history with the checkpoints that signed
// it, or deleting every checkpoint, is found; a tail left unsigned past the
// interval is reported; and every record version is bound into its
// write's entry, so `--records` finds a row edited, deleted, inserted or
// rolled back, naming the record.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr, copyStore } from './helpers.mjs';

let data, witness, alice, bp, weight;
const verify = (dir, ...args) => phr(['audit', 'verify', '--data', dir, ...args]);
const copy = () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'phr-tamper-')), 'data');
  copyStore(data, dir);
  return dir;
};
const UNLOCK = 'DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;';

before(async () => {
  witness = join(mkdtempSync(join(tmpdir(), 'phr-witness-')), 'audit.witness');
  const srv = await startServer({ args: ['--witness', witness] });
  alice = await signupAndLogin(srv);
  const r = await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: bloodPressure(150, 95, '2026-11-02T07:00:00+09:00') });
  bp = r.body.id;
  const fixed = { ...bloodPressure(130, 85, '2026-11-02T07:00:00+09:00'), id: bp };
  assert.equal((await call(srv, 'PUT', `/fhir/Observation/${bp}`, { token: alice.token, body: fixed })).status, 200);
  weight = (await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: {
    resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
    effectiveDateTime: '2026-11-03T07:00:00+09:00', valueQuantity: { value: 60.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } } })).body.id;
  await srv.stop({ keep: true });
  data = srv.data;
});

test('R2.3 the witness holds every checkpoint, as the log does; an intact store verifies against it, records too', () => {
  const lines = readFileSync(witness, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.length >= 1 && lines.every((l) => l.event === 'audit.checkpoint' && /^[0-9a-f]{64}$/.test(l.hash)));
  const r = verify(data, '--witness', witness, '--records');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /every one of the \d+ checkpoints the witness saw is there/);
  assert.match(r.stdout, /records intact: 3 versions, 3 held against their writes' digests/);
});

test('R2.3 history and the checkpoints that signed it cut together: the chain alone still verifies, the witness does not', () => {
  const dir = copy();
  const keep = Number(sql(dir, 'SELECT min(seq) FROM audit')) + 1;
  sql(dir, `${UNLOCK} DELETE FROM audit WHERE seq > ${keep}; DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_checkpoints WHERE audit_seq > ${keep};`);
  assert.equal(verify(dir).status, 0, 'a shorter consistent chain, with its own checkpoints: nothing inside tells');
  const r = verify(dir, '--witness', witness);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stdout, /the witness saw a checkpoint of entry \d+ that the database lacks/);
});

test('R2.3 every checkpoint deleted: refused with the witness, and reported as unsigned without it', async () => {
  const dir = copy();
  sql(dir, 'DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_checkpoints;');
  const r = verify(dir, '--witness', witness);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stdout, /lacks/);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const bare = verify(dir, '--checkpoint-seconds', '1');
  assert.equal(bare.status, 1, bare.stdout);
  assert.match(bare.stdout, /NOT SIGNED: entries 1 to \d+ are up to [\d.]+ s old/);
});

test('R2.3 a crash leaves a tail unsigned; the next start signs it before anything else', async () => {
  const dir = copy();
  const srv = await startServer({ data: dir, args: ['--checkpoint-seconds', '0'] });
  await call(srv, 'POST', '/api/v1/login', { body: { login: alice.login, password: 'wrong password here' } });
  await srv.kill();
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const crashed = verify(dir, '--checkpoint-seconds', '1');
  assert.equal(crashed.status, 1, crashed.stdout);
  assert.match(crashed.stdout, /NOT SIGNED/);
  const again = await startServer({ data: dir });
  await again.stop({ keep: true });
  const r = verify(dir, '--checkpoint-seconds', '1');
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /0 entries after it not yet signed/);
});

test('R2.3 R3.12 a record row edited, deleted, inserted or rolled back is found, naming the record', () => {
  const cases = [
    ['an index column edited', `UPDATE records SET code = '8867-4' WHERE id = '${weight}'`, /Observation\/.*: the row differs/],
    ['a body swapped', `UPDATE records SET body = (SELECT body FROM records WHERE id = '${weight}') WHERE id = '${bp}' AND version = 2`, new RegExp(`${bp}/_history/2: the row differs`)],
    ['a version deleted', `DELETE FROM records WHERE id = '${bp}' AND version = 2`, new RegExp(`${bp}/_history/2: a version its write recorded is gone`)],
    ['rolled back to the first value', `UPDATE records SET current = 1 WHERE id = '${bp}' AND version = 1; UPDATE records SET current = 0 WHERE id = '${bp}' AND version = 2`, new RegExp(`${bp}/_history/1: an older version is current`)],
    ['a row inserted past the service', `INSERT INTO records(id, version, person_id, resource_type, code_system, code, category, effective_start, effective_end, data_category, source, recorded_at, recorded_by, channel, original_mac, alg, body, original, current, data_kind) SELECT '00000000-0000-7000-8000-00000000abcd', version, person_id, resource_type, code_system, code, category, effective_start, effective_end, data_category, source, recorded_at, recorded_by, channel, original_mac, alg, body, original, current, data_kind FROM records WHERE id = '${weight}'`, /00000000-0000-7000-8000-00000000abcd\/_history\/1: no write recorded/],
  ];
  for (const [what, statement, message] of cases) {
    const dir = copy();
    sql(dir, statement);
    assert.equal(verify(dir).status, 0, `${what}: the chain itself is untouched`);
    const r = verify(dir, '--records');
    assert.equal(r.status, 1, `${what}: ${r.stdout}`);
    assert.match(r.stdout, /records TAMPERED/);
    assert.match(r.stdout, message, what);
  }
});

test('R3.10 an erasure removes rows by right: the records still verify', async () => {
  const dir = copy();
  const srv = await startServer({ data: dir });
  const login = await call(srv, 'POST', '/api/v1/login', { body: { login: alice.login, password: 'a long enough passphrase' } });
  const token = login.body.token;
  const ask = await call(srv, 'POST', '/api/v1/me/erasures', { token, body: { scope: 'records', codes: ['85354-9'] } });
  assert.equal(ask.status, 201, ask.text);
  const done = await call(srv, 'POST', `/api/v1/me/erasures/${ask.body.id}/confirm`, { token, body: { password: 'a long enough passphrase' } });
  assert.equal(done.status, 200, done.text);
  await srv.stop({ keep: true });
  const r = verify(dir, '--records');
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /records intact: 1 versions/);
});
