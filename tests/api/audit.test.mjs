// phr audit verify (R2.3): the chain verifies after real activity, and an
// altered, deleted or reordered entry is found and named.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr, newDataDir, copyStore } from './helpers.mjs';

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
  const dir = join(mkdtempSync(join(tmpdir(), 'phr-audit-')), 'data');
  copyStore(data, dir);
  return dir;
}

const UNLOCK = 'DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;';
// (The checkpoints' own triggers stay: the attacker here cuts entries only.)

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
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
  rmSync(join(data, '..'), { recursive: true, force: true });
});

test('R2.3 the store itself refuses updates and deletes of audit entries', async () => {
  const data = await activity();
  assert.throws(() => sql(data, "UPDATE audit SET result = 'allow' WHERE seq = 1"), /append-only/);
  assert.throws(() => sql(data, 'DELETE FROM audit WHERE seq = 1'), /append-only/);
  rmSync(join(data, '..'), { recursive: true, force: true });
});

test('R2.3 checkpoints signed at shutdown detect a cut-off tail; auditors verify with the public key alone', async () => {
  const data = await activity();
  const ok = phr(['audit', 'verify', '--data', data]);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const n = Number(sql(data, 'SELECT count(*) FROM audit'));
  assert.match(ok.stdout, new RegExp(`intact: ${n} entries verified, [1-9]\\d* signed checkpoints \\(the newest signs entry ${n}; 0 entries after it not yet signed\\)`));
  assert.match(ok.stdout, /entries\/s/);

  const pub = phr(['audit', 'pubkey', '--data', data]);
  assert.equal(pub.status, 0);
  const hex = pub.stdout.trim();
  assert.match(hex, /^[0-9a-f]{64}$/);
  const auditor = phr(['audit', 'verify', '--data', data, '--audit-key', '/nonexistent', '--audit-pub', hex]);
  assert.equal(auditor.status, 0, auditor.stderr);
  const stranger = phr(['audit', 'verify', '--data', data, '--audit-pub', 'ab'.repeat(32)]);
  assert.equal(stranger.status, 1);
  assert.match(stranger.stdout, /does not verify with a trusted audit key/);

  const dir = copyOf(data);
  sql(dir, `${UNLOCK} DELETE FROM audit WHERE seq > ${n - 2};`);
  const cut = phr(['audit', 'verify', '--data', dir]);
  assert.equal(cut.status, 1);
  assert.match(cut.stdout, new RegExp(`truncated: checkpoint \\d+ signed the chain up to entry ${n}, but it ends at entry ${n - 2}`));
  rmSync(join(dir, '..'), { recursive: true, force: true });
  assert.throws(() => sql(data, 'DELETE FROM audit_checkpoints'), /append-only/);
  rmSync(join(data, '..'), { recursive: true, force: true });
});

test('R2.5 the audit key is made at init with mode 0600; serve refuses to run without it and says how to make one', async () => {
  const { root, data } = newDataDir();
  assert.equal(statSync(join(data, 'audit.key')).mode & 0o777, 0o600);
  rmSync(join(data, 'audit.key'));
  const r = phr(['serve', '--data', data, '--listen', '127.0.0.1:1']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /phr audit keygen/);
  assert.equal(phr(['audit', 'keygen', '--data', data]).status, 0);
  const again = phr(['audit', 'keygen', '--data', data]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /refusing to overwrite/);
  rmSync(root, { recursive: true, force: true });
});

test('R2.3 a checkpoint is logged with its head while serving: a witness outside the database', async () => {
  const srv = await startServer({ args: ['--checkpoint-seconds', '1'] });
  await signupAndLogin(srv);
  await new Promise((r) => setTimeout(r, 1500));
  const line = srv.logs.find((l) => l.includes('"audit.checkpoint"'));
  assert.ok(line, 'a periodic checkpoint was made');
  const { seq, hash } = JSON.parse(line);
  assert.equal(sql(srv.data, `SELECT hex(hash) FROM audit WHERE seq = ${seq}`).toLowerCase(), hash);
  await srv.stop();
});

test('R2.3 R2.8 auditors query, export and trace the history; every reading of it is itself recorded', async () => {
  const srv = await startServer();
  const a = await signupAndLogin(srv);
  const b = await signupAndLogin(srv);
  const r = await call(srv, 'POST', '/fhir/Observation', { token: a.token, body: bloodPressure(120, 80) });
  await call(srv, 'GET', `/fhir/Observation/${r.body.id}`, { token: b.token }); // b probes a's record
  await call(srv, 'GET', `/fhir/Observation/${r.body.id}`, { token: a.token });
  await srv.stop({ keep: true });
  const data = srv.data;
  const audit = (...args) => phr(['audit', ...args, '--data', data, '--log-level', 'warn']);

  const trace = audit('trace', '--actor', `person:${b.personId}`, '--from', '2026-01-01');
  assert.equal(trace.status, 0, trace.stderr);
  const t = JSON.parse(trace.stdout);
  const probed = t.persons.find((p) => p.person === a.personId);
  assert.equal(probed.denied, 1, 'b\'s attempt on a\'s record is traced to a');
  assert.equal(probed.allowed, 0);
  const own = JSON.parse(audit('trace', '--actor', `person:${a.personId}`).stdout);
  assert.ok(own.persons.find((p) => p.person === a.personId).records.includes(r.body.id));
  const byClient = JSON.parse(audit('trace', '--client', '127.0.0.1').stdout);
  assert.ok(byClient.persons.length >= 2);

  const denies = audit('query', '--result', 'deny', '--format', 'jsonl').stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(denies.length >= 1 && denies.every((e) => e.result === 'deny'));
  assert.ok(denies.some((e) => e.actor === `person:${b.personId}` && e.records === r.body.id));

  const exp = audit('export');
  assert.equal(exp.status, 0);
  const check = spawnSync('node', [new URL('../../scripts/verify-audit-export.mjs', import.meta.url).pathname], { input: exp.stdout, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout);
  const forged = exp.stdout.replace(`"result":"deny"`, `"result":"allow"`);
  const bad = spawnSync('node', [new URL('../../scripts/verify-audit-export.mjs', import.meta.url).pathname], { input: forged, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /does not match its hash/);

  const reads = () => sql(data, "SELECT records FROM audit WHERE action = 'audit.read' ORDER BY seq").split('\n');
  assert.deepEqual(reads().map((x) => x.split(' ')[0]), ['trace', 'trace', 'trace', 'query', 'export']);
  assert.match(reads()[0], new RegExp(`^trace from=2025-12-31T15:00:00.000Z to=open actor=person:${b.personId}$`));
  // Refused filters read nothing and record nothing.
  assert.equal(audit('query', '--from', 'yesterday').status, 2);
  assert.equal(audit('trace').status, 2);
  assert.equal(reads().length, 5);
  assert.equal(phr(['audit', 'verify', '--data', data]).status, 0);
  rmSync(join(data, '..'), { recursive: true, force: true });
});
