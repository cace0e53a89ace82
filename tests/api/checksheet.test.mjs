// The checksheet (R5.1-R5.3, R1.3): items from the data file, evidence
// computed by the system, answers by the security officer, public only once
// approved, published JSON valid against checksheet/schema.json; breaking a
// computed condition turns its item to "not implemented" with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr, decide } from './helpers.mjs';
import { day } from '../../web/js/time.js';

const ITEMS = new URL('../../checksheet/items.json', import.meta.url).pathname;
const SCHEMA = JSON.parse(readFileSync(new URL('../../checksheet/schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(SCHEMA);

function cli(data, args) {
  return phr(['checksheet', ...args, '--data', data, '--log-level', 'warn']);
}
function assess(data, items = ITEMS) {
  const r = cli(data, ['assess', '--items', items]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
const item = (a, id) => a.sheet.items.find((i) => i.id === id);

async function staffed(srv) {
  for (const role of ['security-officer', 'asset-manager', 'auditor', 'handler']) {
    const r = phr(['staff', 'add', '--data', srv.data, '--login', `${role}@provider.example.jp`, '--role', role, '--log-level', 'warn']);
    assert.equal(r.status, 0, r.stderr);
  }
  const me = await signupAndLogin(srv);
  const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(121, 79) });
  assert.equal(r.status, 201);
  const ret = phr(['retention', 'run', '--data', srv.data, '--log-level', 'warn']);
  assert.equal(ret.status, 0, ret.stderr);
}

test('R5.1 R5.2 R5.3 R1.3 an assessment computes what it can, takes the officer\'s answers, and is public only once approved', async () => {
  const srv = await startServer();
  try {
    await staffed(srv);
    const bad = [
      [['answer', '--item', '2.1-1-A', '--status', 'done', '--date', '2026-11-01', '--approver', 'Sato'], /implemented, equivalent/],
      [['answer', '--item', '2.1-1-D', '--status', 'not-implemented', '--date', '2026-11-01', '--approver', 'Sato'], /needs its reason/],
      [['answer', '--item', '2.1-1-A', '--status', 'implemented', '--date', '2026-11-01', '--approver', 'Sato'], /document/],
    ];
    for (const [args, why] of bad) {
      const r = cli(srv.data, args);
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, why);
    }
    assert.equal(sql(srv.data, 'SELECT count(*) FROM checksheet_answers'), '0', 'a refused answer stores nothing');
    assert.equal(cli(srv.data, ['answer', '--item', '2.1-1-A', '--status', 'implemented', '--date', '2026-10-15',
      '--document', '情報セキュリティ規程 第3版', '--approver', 'Sato (security officer)']).status, 0);
    assert.equal(cli(srv.data, ['answer', '--item', '2.1-cert', '--status', 'not-implemented', '--date', '2026-11-01',
      '--reason', 'ISMS certification is planned for 2027', '--approver', 'Sato (security officer)']).status, 0);

    const a = assess(srv.data);
    assert.equal(a.approved, false);
    for (const id of ['2.1-1-B', '2.1-1-C', '2.1-1-E', '2.1-1-F', '2.1-1-G', '3.1-1', '3.1-2', '3.2-1', '3.3-2', '3.3-3', '4.2-2']) {
      assert.equal(item(a, id).status, 'implemented', `${id}: ${item(a, id).reason}`);
      assert.equal(item(a, id).evidence.computed, true);
    }
    assert.equal(item(a, 'scope-1').status, 'not-applicable', 'R1.3: no medical-institution cooperation');
    assert.match(item(a, '2.1-1-F').evidence.text, /verifies/);
    assert.equal(item(a, '2.1-1-A').evidence.document, '情報セキュリティ規程 第3版');
    assert.equal(item(a, '2.1-1-A').evidence.date, '2026-10-15');
    assert.equal(item(a, '2.1-1-D').status, 'not-implemented');
    assert.match(item(a, '2.1-1-D').reason, /Not yet answered/);
    assert.match(item(a, '4.2-1').reason, /CDA/);
    const reasons = Object.fromEntries(a.sheet.not_implemented.map((x) => [x.id, x.reason]));
    assert.equal(reasons['2.1-cert'], 'ISMS certification is planned for 2027', 'reasons are gathered at the end (Q2-1)');
    assert.equal(a.not_implemented, a.sheet.items.filter((i) => i.status === 'not-implemented').length);

    assert.equal((await call(srv, 'GET', '/checksheet.json')).status, 404, 'a draft is never public');
    assert.equal((await call(srv, 'GET', `/checksheet/${a.id}`)).status, 404);
    assert.equal(cli(srv.data, ['approve', '--id', String(a.id), '--approver', 'Sato (security officer)']).status, 0);
    const again = cli(srv.data, ['approve', '--id', String(a.id), '--approver', 'Sato']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /approved already/);

    const pub = await call(srv, 'GET', '/checksheet.json');
    assert.equal(pub.status, 200, pub.text);
    assert.ok(validate(pub.body), JSON.stringify(validate.errors));
    assert.equal(pub.body.id, a.id);
    assert.equal(pub.body.guideline.version, JSON.parse(readFileSync(ITEMS, 'utf8')).guideline.version);
    const html = await call(srv, 'GET', '/checksheet', { json: false });
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type'), /text\/html/);
    assert.match(html.headers.get('content-security-policy'), /script-src 'self'/);
    assert.doesNotMatch(html.text, /<script|style=/);
    assert.match(html.text, /ISMS certification is planned for 2027/);
    assert.match(html.text, /実施していない項目とその理由/);
    assert.match(html.text, /<link rel="stylesheet" href="\/app.css">[^]*<header class="top">[^]*<footer class="bottom">/, 'in the portal\'s layout (R5.3)');
    assert.ok(html.text.includes(`点検日 / assessed: ${day(pub.body.assessed_at)}`), 'the day in Japan, in 年月日 form');
    assert.doesNotMatch(html.text, /\d{4}-\d{2}-\d{2}T[\d:.]+Z/, 'no UTC instant shown: instants carry Japan\'s offset');
    const policies = await call(srv, 'GET', '/api/v1/policies');
    assert.deepEqual(policies.body.checksheet, { html: '/checksheet', json: '/checksheet.json' }, 'beside the terms (Q5-2)');
    const root = await call(srv, 'GET', '/', { json: false });
    assert.match(root.text, /href="#\/checksheet"/, 'every page links the checksheet, shown inside the portal');

    // A revised guideline opens a new assessment; the earlier one stays reachable (Q6-1).
    const revised = join(srv.data, '..', 'items-next.json');
    const next = JSON.parse(readFileSync(ITEMS, 'utf8'));
    next.guideline.version = '令和8年改正';
    writeFileSync(revised, JSON.stringify(next));
    const b = assess(srv.data, revised);
    assert.equal(cli(srv.data, ['approve', '--id', String(b.id), '--approver', 'Sato']).status, 0);
    const latest = await call(srv, 'GET', '/checksheet.json');
    assert.ok(validate(latest.body), JSON.stringify(validate.errors));
    assert.equal(latest.body.guideline.version, '令和8年改正');
    assert.deepEqual(latest.body.others.map((o) => o.href), [`/checksheet/${a.id}.json`]);
    assert.equal((await call(srv, 'GET', `/checksheet/${a.id}.json`)).body.guideline.version, pub.body.guideline.version);
    assert.equal(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'checksheet.manage'"), '6');
  } finally {
    await srv.stop();
  }
});

test('R5.2 breaking a computed condition turns its item to "not implemented", with the reason', async () => {
  const srv = await startServer();
  try {
    await staffed(srv);
    const before = assess(srv.data);
    for (const id of ['2.1-1-E', '2.1-1-F', '3.1-2', '3.3-1']) assert.equal(item(before, id).status, 'implemented', id);

    // A staff member's second factor removed behind the service's back.
    sql(srv.data, "UPDATE staff SET totp_sealed = x'' WHERE login = 'handler@provider.example.jp'");
    // A record inserted through the store for a person who never consented.
    const stranger = await signupAndLogin(srv, undefined, { consent: false });
    sql(srv.data, `INSERT INTO records(id, version, person_id, resource_type, code, data_category, source, recorded_at,
      recorded_by, channel, original_mac, alg, body, original, current)
      VALUES ('11111111-1111-4111-8111-111111111111', 1, '${stranger.personId}', 'Observation', '85354-9', 3,
      'self-measured', 1, 'store', 'sql', randomblob(32), 1, randomblob(80), randomblob(80), 1)`);
    // A provision recorded after the person withdrew its purpose.
    const walker = await signupAndLogin(srv);
    assert.equal((await decide(srv, walker.token, [{ purpose: 'service', decision: 'withdraw' }])).status, 201);
    sql(srv.data, `INSERT INTO provisions(at, recipient_id, person_id, purpose, purpose_version, consent_seq, items)
      VALUES (${Date.now() + 1000}, 'r', '${walker.personId}', 'service', 1, 1, 'x')`);
    // One entry of the handling history rewritten.
    sql(srv.data, "DROP TRIGGER audit_no_update; UPDATE audit SET action = 'record.create' WHERE seq = 3");

    const after = assess(srv.data);
    assert.equal(item(after, '2.1-1-E').status, 'not-implemented');
    assert.match(item(after, '2.1-1-E').reason, /1 active staff account\(s\) have no second factor/);
    assert.equal(item(after, '3.1-2').status, 'not-implemented');
    assert.match(item(after, '3.1-2').reason, /1 person\(s\) hold records without a live consent/);
    assert.equal(item(after, '2.1-1-F').status, 'not-implemented');
    assert.match(item(after, '2.1-1-F').reason, /broken at entry 3/);
    assert.equal(item(after, '3.3-1').status, 'not-implemented');
    assert.match(item(after, '3.3-1').reason, /1 provision\(s\) were made after the person withdrew/);
    const gathered = after.sheet.not_implemented.map((x) => x.id);
    for (const id of ['2.1-1-E', '2.1-1-F', '3.1-2', '3.3-1']) assert.ok(gathered.includes(id), id);
  } finally {
    await srv.stop();
  }
});
