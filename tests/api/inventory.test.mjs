// The data inventory from the live schema (R2.6) and incident records
// (R2.8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { newDataDir, sql, phr, tableNames } from './helpers.mjs';

test('R2.6 the inventory lists every table of the live schema, with protection, purposes, reach and retention', () => {
  const { root, data } = newDataDir();
  const r = phr(['inventory', '--data', data, '--format', 'json', '--log-level', 'warn']);
  assert.equal(r.status, 0, r.stderr);
  const inv = JSON.parse(r.stdout);
  assert.equal(inv.unclassified, 0);
  assert.deepEqual(inv.items.map((i) => i.table), tableNames(data), 'every table, from the schema itself');
  const byName = Object.fromEntries(inv.items.map((i) => [i.table, i]));
  const col = (t, c) => byName[t].columns.find((x) => x.name === c).protection;
  assert.equal(col('records', 'body'), 'sealed');
  assert.equal(col('records', 'original'), 'sealed');
  assert.equal(col('records', 'code'), 'plain');
  assert.equal(col('persons', 'pw_hash'), 'hashed');
  assert.equal(col('staff', 'totp_sealed'), 'sealed');
  assert.equal(col('data_keys', 'wrapped'), 'sealed');
  assert.equal(byName.records.category, 'health');
  assert.match(byName.records.purposes, /service/);
  assert.match(byName.records.purposes, /provision-partners/);
  assert.match(byName.provisions.retention, /3 years/);
  for (const i of inv.items) {
    assert.ok(i.description.ja && i.description.en && i.reached_by && i.retention, i.table);
  }
  const md = phr(['inventory', '--data', data, '--log-level', 'warn']);
  assert.equal(md.status, 0);
  assert.match(md.stdout, /^# データ項目の一覧 \/ Data inventory/);
  assert.match(md.stdout, /`body` \(sealed\)/);

  // A table nobody described makes the inventory fail, naming it.
  sql(data, 'CREATE TABLE shadow_copy(person_id TEXT, value TEXT)');
  const bad = phr(['inventory', '--data', data, '--format', 'json', '--log-level', 'warn']);
  assert.equal(bad.status, 1);
  const b = JSON.parse(bad.stdout);
  assert.equal(b.unclassified, 1);
  assert.equal(b.items.find((i) => i.table === 'shadow_copy').classified, false);
  assert.match(bad.stderr, /not described/);
  rmSync(root, { recursive: true, force: true });
});

test('R2.8 incident records: what, when found, who was told; notes add to them; never changed; audited', () => {
  const { root, data } = newDataDir();
  const inc = (...args) => phr(['incident', ...args, '--data', data, '--log-level', 'warn']);
  const a = inc('add', '--what', 'misdirected e-mail with no health data', '--found', '2026-11-20T10:30+09:00', '--told', 'security officer 11-20');
  assert.equal(a.status, 0, a.stderr);
  const id = JSON.parse(a.stdout).id;
  assert.equal(inc('note', '--incident', String(id), '--what', 'recipient confirmed deletion', '--told', 'the person, 11-21').status, 0);
  const missing = inc('note', '--incident', '999', '--what', 'x');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no incident 999/);
  assert.equal(inc('add').status, 2);
  assert.equal(inc('add', '--what', 'x', '--found', 'last week').status, 2);
  const list = JSON.parse(inc('list').stdout);
  assert.equal(list.length, 2);
  assert.equal(list[0].found_at, '2026-11-20T01:30:00.000Z');
  assert.equal(list[1].refers_to, id);
  assert.equal(list[1].told, 'the person, 11-21');
  assert.throws(() => sql(data, "UPDATE incidents SET what = 'nothing'"), /append-only/);
  assert.equal(sql(data, "SELECT count(*) FROM audit WHERE action = 'incident.record'"), '2');
  rmSync(root, { recursive: true, force: true });
});
