// phr audit verify (R2.3): the chain verifies after real activity, and an
// altered, deleted or reordered entry is found and named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr } from './helpers.mjs';

async function activity() {
  const srv = await startServer();
  const a = await signupAndLogin(srv);
  const b = await signupAndLogin(srv);
  const r = await call(srv, 'POST', '/fhir/Observation', { token: a.token, body: bloodPressure(120, 80) });
  await call(srv, 'GET', `/fhir/Observation/${r.body.id}`, { token: b.token });
  await call(srv, 'GET', '/fhir/Observation', { token: a.token });
  await srv.stop({ keep: true });
  return srv.data;
}

function copyOf(data) {
  const dir = mkdtempSync(join(tmpdir(), 'phr-audit-'));
  cpSync(data, dir, { recursive: true });
  return dir;
}

const UNLOCK = 'DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;';

test('R2.3 audit verify passes on an intact chain and fails on tampering, naming the entry', async () => {
  const data = await activity();
  const ok = phr(['audit', 'verify', '--data', data]);
  assert.equal(ok.status, 0, ok.stderr);
  const n = Number(sql(data, 'SELECT count(*) FROM audit'));
  assert.ok(n >= 7);
  assert.match(ok.stdout, new RegExp(`intact: ${n} entries`));

  const cases = [
    ['altered', `${UNLOCK} UPDATE audit SET result = result || '!' WHERE seq = 5;`, 5, /altered/],
    ['deleted', `${UNLOCK} DELETE FROM audit WHERE seq = 4;`, 4, /missing/],
    ['reordered', `${UNLOCK} UPDATE audit SET seq = 1000 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 1000;`, 2, /.+/],
    ['actor rewritten', `${UNLOCK} UPDATE audit SET actor = 'person:someone-else' WHERE seq = 6;`, 6, /altered/],
  ];
  for (const [name, statement, seq, why] of cases) {
    const dir = copyOf(data);
    sql(dir, statement);
    const r = phr(['audit', 'verify', '--data', dir]);
    assert.equal(r.status, 1, `${name}: ${r.stdout}`);
    assert.match(r.stdout, new RegExp(`BROKEN at entry ${seq}:`), name);
    assert.match(r.stdout, why, name);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(join(data, '..'), { recursive: true, force: true });
});

test('R2.3 the store itself refuses updates and deletes of audit entries', async () => {
  const data = await activity();
  assert.throws(() => sql(data, "UPDATE audit SET result = 'allow' WHERE seq = 1"), /append-only/);
  assert.throws(() => sql(data, 'DELETE FROM audit WHERE seq = 1'), /append-only/);
  rmSync(join(data, '..'), { recursive: true, force: true });
});
