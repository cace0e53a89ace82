// Master-key rotation (R2.5): a new key wraps new data keys at once, the
// old one keeps opening what it wrapped, 'phr keys rotate' re-wraps every
// data key and staff TOTP key while the service runs, and afterwards the old
// key is not needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr, PASSWORD } from './helpers.mjs';

test('R2.5 master-key rotation without losing a record, while serving', async () => {
  const first = await startServer();
  const data = first.data;
  const oldKey = join(data, 'master.key');
  const newKey = join(data, 'master.key.new');
  const people = [];
  for (let i = 0; i < 3; i++) {
    const me = await signupAndLogin(first);
    const r = await call(first, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(110 + i, 70) });
    people.push({ ...me, record: r.body.id });
  }
  await first.stop({ keep: true });
  const staff = JSON.parse(phr(['staff', 'add', '--data', data, '--login', 'ops@provider.example.jp', '--role', 'auditor', '--log-level', 'warn']).stdout);

  assert.equal(phr(['keys', 'new', '--out', newKey]).status, 0);
  assert.equal(statSync(newKey).mode & 0o777, 0o600);
  const again = phr(['keys', 'new', '--out', newKey]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /refusing to overwrite/);
  const ids = () => sql(data, 'SELECT DISTINCT master_key_id FROM data_keys ORDER BY 1', 'keys.db').split('\n');
  const [oldId] = ids();

  // Serving with the new key current and the old one still accepted.
  const srv = await startServer({ data, args: ['--key', newKey, '--old-keys', oldKey] });
  const read = async (s, p) => {
    const l = await call(s, 'POST', '/api/v1/login', { body: { login: p.login, password: PASSWORD } });
    return call(s, 'GET', `/fhir/Observation/${p.record}`, { token: l.body.token });
  };
  assert.equal((await read(srv, people[0])).status, 200);
  const late = await signupAndLogin(srv);
  const newId = sql(data, `SELECT master_key_id FROM data_keys WHERE person_id = '${late.personId}'`, 'keys.db');
  assert.notEqual(newId, oldId, 'new data keys are wrapped by the new key at once');

  const rot = phr(['keys', 'rotate', '--data', data, '--key', newKey, '--old-keys', oldKey, '--log-level', 'warn']);
  assert.equal(rot.status, 0, rot.stderr);
  assert.match(rot.stdout, /re-wrapped 3 data keys/);
  assert.match(rot.stderr, /3 \/ 3 data keys/);
  assert.deepEqual(ids(), [newId]);
  assert.equal((await read(srv, people[1])).status, 200, 'still serving during and after the rotation');
  await srv.stop({ keep: true });
  assert.match(sql(data, "SELECT records FROM audit WHERE action = 'keys.rotate'"), new RegExp(`to:${newId} data-keys:3 staff-totp:1`));

  // The old key is no longer needed, for records or for staff TOTP keys.
  const after = await startServer({ data, args: ['--key', newKey] });
  for (const p of people) assert.equal((await read(after, p)).status, 200);
  const code = staff.recovery_codes[0];
  const s = await call(after, 'POST', '/api/v1/staff/login', { body: { login: staff.login, password: staff.password, recovery_code: code } });
  assert.equal(s.status, 200);
  await after.stop({ keep: true });
  // The TOTP key opens under the new master key alone: a rotation with only
  // the new key finds nothing left to move.
  const idle = phr(['keys', 'rotate', '--data', data, '--key', newKey, '--old-keys', newKey, '--log-level', 'warn']);
  assert.equal(idle.status, 0, idle.stderr);
  assert.match(idle.stdout, /re-wrapped 0 data keys/);
  assert.equal(phr(['audit', 'verify', '--data', data]).status, 0);
});

test('R2.5 a rotation that meets a key it was not given names it and changes nothing', async () => {
  const srv = await startServer();
  const me = await signupAndLogin(srv);
  await srv.stop({ keep: true });
  const data = srv.data;
  const a = join(data, 'a.key');
  assert.equal(phr(['keys', 'new', '--out', a]).status, 0);
  const before = sql(data, 'SELECT master_key_id, hex(wrapped) FROM data_keys', 'keys.db');
  const r = phr(['keys', 'rotate', '--data', data, '--key', a, '--old-keys', a, '--log-level', 'warn']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /wrapped by master key [0-9a-f]{16}, which is not loaded: give that key too \(--old-keys\)/);
  assert.equal(sql(data, 'SELECT master_key_id, hex(wrapped) FROM data_keys', 'keys.db'), before);
  assert.equal(phr(['keys', 'rotate', '--data', data, '--key', a]).status, 2);
  assert.ok(me.personId);
});
