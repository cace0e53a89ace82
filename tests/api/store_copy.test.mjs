// Moving from SQLite to PostgreSQL (issue 18 item 6): `phr store copy` copies
// everything — records, the key store, consents, provisions, staff, the
// handling history and its checkpoints, documents — from a SQLite store in
// use into an empty PostgreSQL database, row for row; the copy verifies,
// serves the same persons with the same keys, and a target that holds data
// is refused. Runs where the suites run on PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ENGINE, newDataDir, freshData, startServer, call, signupAndLogin, bloodPressure, decide, sql, phr, storeLocation,
  tableNames, totp, PASSWORD, clientToken,
} from './helpers.mjs';

const skip = ENGINE !== 'postgresql' && 'the copy goes to PostgreSQL: it runs with the suites on PostgreSQL';

test('R3.10 R2.3 phr store copy moves a SQLite store in use to PostgreSQL: every row, verified, served with the same keys', { skip }, async () => {
  const from = newDataDir({ sqlite: true });
  const run = (...args) => {
    const r = phr([...args, '--data', from.data, '--log-level', 'warn']);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout ? JSON.parse(r.stdout) : null;
  };
  // A store with a little of everything.
  const srv = await startServer({ data: from.data });
  const alice = await signupAndLogin(srv);
  const bob = await signupAndLogin(srv);
  const ids = [];
  for (let i = 0; i < 5; i++) {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: bloodPressure(120 + i, 80) });
    assert.equal(r.status, 201);
    ids.push(r.body.id);
  }
  run('recipient', 'group', '--group', 'demo-partners', '--name', 'Demo Health Partners');
  const clinic = run('recipient', 'add', '--name', 'Clinic C', '--address', '1-1 Chiyoda, Tokyo', '--country', 'JP',
    '--contact', 'desk@example.jp');
  run('recipient', 'agreement', '--recipient', clinic.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-1');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', clinic.id);
  assert.equal((await decide(srv, alice.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  const t = await clientToken(srv, clinic.client_id, clinic.client_secret);
  assert.equal((await call(srv, 'GET', `/fhir/Observation?patient=${alice.personId}`, { token: t.body.access_token })).status, 200);
  const officer = run('staff', 'add', '--login', 'officer@copy.example.jp', '--role', 'security-officer');
  const factor = await call(srv, 'POST', '/api/v1/me/second-factor', { token: bob.token, body: { action: 'begin' } });
  assert.equal((await call(srv, 'POST', '/api/v1/me/second-factor', { token: bob.token,
    body: { action: 'confirm', otp: totp(factor.body.totp_uri) } })).status, 200);
  const erase = await call(srv, 'POST', '/api/v1/me/erasures', { token: bob.token, body: { scope: 'records' } });
  assert.equal(erase.status, 201, erase.text);
  await srv.stop({ keep: true });

  // The target: an empty database, the same keys beside it.
  const to = freshData(join(from.root, 'moved'));
  const c = phr(['store', 'copy', '--from', join(from.data, 'phr.db'), '--to', storeLocation(to)]);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, /^copied \d+ rows from .* \(sqlite\) to .* \(postgresql\)/);
  assert.match(c.stderr, /\[#+\] 5 \/ 5 records/, 'a progress bar per table');
  mkdirSync(to, { mode: 0o700 });
  copyFileSync(join(from.data, 'master.key'), join(to, 'master.key'));
  copyFileSync(join(from.data, 'audit.key'), join(to, 'audit.key'));
  for (const table of tableNames(from.data)) {
    assert.equal(sql(to, `SELECT count(*) FROM ${table === 'data_keys' ? 'ks.data_keys' : table}`),
      sql(from.data, `SELECT count(*) FROM ${table}`, table === 'data_keys' ? 'keys.db' : 'phr.db'), table);
  }
  const v = phr(['audit', 'verify', '--data', to, '--records']);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /records intact: 5 versions/);

  // Served from the copy: the same persons, sessions, records, clients, staff.
  const moved = await startServer({ data: to });
  try {
    const login = await call(moved, 'POST', '/api/v1/login', { body: { login: alice.login, password: PASSWORD } });
    assert.equal(login.status, 200, login.text);
    for (const id of ids) {
      assert.equal((await call(moved, 'GET', `/fhir/Observation/${id}`, { token: login.body.token })).status, 200, id);
    }
    assert.equal((await call(moved, 'GET', `/fhir/Observation/${ids[0]}`, { token: alice.token })).status, 200,
      'a session made before the move still holds');
    const again = await clientToken(moved, clinic.client_id, clinic.client_secret);
    assert.equal(again.status, 200, again.text);
    const s = await call(moved, 'POST', '/api/v1/staff/login', { body: { login: officer.login, password: officer.password,
      otp: totp(officer.totp_uri, 1) } });
    assert.equal(s.status, 200, s.text);
    // New rows continue the copied ones.
    assert.equal((await decide(moved, login.body.token, [{ purpose: 'statistics', decision: 'grant' }])).status, 201);
  } finally {
    await moved.stop();
  }

  // Into a store that holds data: refused, nothing written.
  const before = sql(to, 'SELECT count(*) FROM audit');
  const refused = phr(['store', 'copy', '--from', join(from.data, 'phr.db'), '--to', storeLocation(to)]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /holds data already/);
  assert.equal(sql(to, 'SELECT count(*) FROM audit'), before);
  rmSync(from.root, { recursive: true, force: true });
});
