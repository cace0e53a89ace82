// Consent by construction (R3.1-R3.6, R3.9): policies, the consent ledger,
// withdrawal that takes effect at once, material and minor changes,
// suspension of use, and the operator's commands for requests by phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  startServer, call, signupAndLogin, bloodPressure, sql, phr, decide, shownHashes, MANIFEST, nothingFound,
} from './helpers.mjs';
import { manifestFrom } from '../../web/js/manifest.js';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const post = (me, body = bloodPressure(121, 79)) => call(srv, 'POST', '/fhir/Observation', { token: me.token, body });
const records = (me) => Number(sql(srv.data, `SELECT count(*) FROM records WHERE person_id = '${me.personId}'`));
const audit = (me, action) => sql(srv.data,
  `SELECT result || ' ' || coalesce(reason, '') FROM audit WHERE actor = 'person:${me.personId}' AND action = '${action}' ORDER BY seq`)
  .split('\n').filter(Boolean).map((l) => l.trim());

// A copy of the shipped manifest and texts that a test may edit.
function manifestCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'phr-policy-'));
  cpSync(dirname(MANIFEST), dir, { recursive: true });
  const path = join(dir, 'policy.json');
  return { dir, path, json: JSON.parse(readFileSync(path, 'utf8')) };
}
const publish = (path, extra = []) => phr(['policy', 'publish', '--data', srv.data, '--manifest', path, ...extra]);

test('R3.1 R3.2 the policies in force are public, in Japanese and English, each with the SHA-256 of its exact text', async () => {
  const r = await call(srv, 'GET', '/api/v1/policies');
  assert.equal(r.status, 200);
  const kinds = r.body.documents.map((d) => `${d.kind}/${d.lang}`).sort();
  assert.deepEqual(kinds, ['anonymised/en', 'anonymised/ja', 'privacy/en', 'privacy/ja', 'summary/en', 'summary/ja', 'terms/en', 'terms/ja']);
  for (const d of r.body.documents) {
    assert.equal(d.sha256, createHash('sha256').update(d.text, 'utf8').digest('hex'), `${d.kind}/${d.lang}`);
    assert.equal(d.version, 1);
  }
  const service = r.body.purposes.find((p) => p.code === 'service');
  assert.equal(service.required, true);
  assert.ok(service.title.ja && service.title.en && service.description.ja);
  const optional = r.body.purposes.filter((p) => !p.required).map((p) => p.code);
  assert.deepEqual(optional, ['followup', 'statistics', 'ai', 'research', 'marketing', 'provision-partners']);
});

test('R3.2 nothing is acquired before the required purpose is granted; the refusal is audited and stores nothing', async () => {
  const me = await signupAndLogin(srv, undefined, { consent: false });
  const r = await post(me);
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.resourceType, 'OperationOutcome');
  assert.match(r.body.issue[0].diagnostics, /consent to the required purpose of use 'service'/);
  assert.equal(records(me), 0);
  assert.deepEqual(audit(me, 'record.create'), ['deny no-consent:service']);
  // Refusing an optional purpose does not block; granting the required one unblocks.
  assert.equal((await decide(srv, me.token, [{ purpose: 'marketing', decision: 'refuse' }])).status, 201);
  assert.equal((await post(me)).status, 403);
  assert.equal((await decide(srv, me.token, [{ purpose: 'service', decision: 'grant' }])).status, 201);
  assert.equal((await post(me)).status, 201);
  assert.equal(records(me), 1);
});

test('R3.1 R3.3 a decision names the texts shown; bad decisions are refused and change nothing', async () => {
  const me = await signupAndLogin(srv, undefined, { consent: false });
  const shown = await shownHashes(srv);
  const ledger = () => Number(sql(srv.data, `SELECT count(*) FROM consents WHERE person_id = '${me.personId}'`));
  const cases = [
    [{ decisions: [{ purpose: 'service', decision: 'grant' }], shown: [] }, 422, /terms, summary and privacy policy shown/],
    [{ decisions: [{ purpose: 'service', decision: 'grant' }], shown: shown.slice(0, 1) }, 422, /shown/],
    [{ decisions: [{ purpose: 'service', decision: 'grant', version: 7 }], shown }, 409, /version 1 now/],
    [{ decisions: [{ purpose: 'no-such', decision: 'grant' }], shown }, 422, /no purpose of use 'no-such'/],
    [{ decisions: [{ purpose: 'followup', decision: 'withdraw' }], shown }, 409, /nothing to withdraw/],
    [{ decisions: [{ purpose: 'service', decision: 'maybe' }], shown }, 422, /grant, refuse or withdraw/],
    [{ decisions: [] }, 422, /1 to 32/],
    [{ decisions: [{ purpose: 'service', decision: 'grant' }, { purpose: 'service', decision: 'refuse' }], shown }, 422, /twice/],
    [{ decisions: [{ purpose: 'service', decision: 'grant' }], shown: ['not-a-hash'] }, 422, /SHA-256/],
    ['{"decisions": [', 400, /malformed JSON/],
    // One bad decision among good ones: all or nothing.
    [{ decisions: [{ purpose: 'followup', decision: 'grant' }, { purpose: 'nope', decision: 'grant' }], shown }, 422, /'nope'/],
  ];
  for (const [body, status, why] of cases) {
    const r = await call(srv, 'POST', '/api/v1/me/consents', { token: me.token, body });
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.match(r.body.detail, why);
  }
  assert.equal(ledger(), 0);
  const ok = await decide(srv, me.token, [{ purpose: 'service', decision: 'grant', version: 1 }], shown);
  assert.equal(ok.status, 201, ok.text);
  const docs = sql(srv.data, `SELECT documents FROM consents WHERE person_id = '${me.personId}'`);
  for (const kind of ['terms', 'summary', 'privacy']) assert.match(docs, new RegExp(`${kind}:1:(ja|en):[0-9a-f]{64}`));
  const unauth = await call(srv, 'POST', '/api/v1/me/consents', { body: { decisions: [] } });
  assert.equal(unauth.status, 401);
});

test('R3.6 withdrawal takes effect at once: the next request is refused and audited; own records stay readable', async () => {
  const me = await signupAndLogin(srv);
  const kept = await post(me);
  assert.equal(kept.status, 201);
  assert.equal((await decide(srv, me.token, [{ purpose: 'service', decision: 'withdraw' }])).status, 201);
  const r = await post(me);
  assert.equal(r.status, 403, r.text);
  assert.deepEqual(audit(me, 'record.create'), ['allow', 'deny no-consent:service']);
  assert.equal(records(me), 1);
  const read = await call(srv, 'GET', `/fhir/Observation/${kept.body.id}`, { token: me.token });
  assert.equal(read.status, 200, 'the person keeps reading their own data');
});

test('R3.6 a withdrawal racing many creates: nothing is acknowledged after it, every refusal is audited', async () => {
  const me = await signupAndLogin(srv);
  const shown = await shownHashes(srv);
  const creates = [];
  let withdrawn;
  for (let i = 0; i < 60; i++) {
    creates.push(post(me, bloodPressure(110 + (i % 30), 70)));
    if (i === 30) withdrawn = decide(srv, me.token, [{ purpose: 'service', decision: 'withdraw' }], shown);
  }
  assert.equal((await withdrawn).status, 201);
  // And one moment after the withdrawal was acknowledged:
  for (let i = 0; i < 5; i++) creates.push(post(me));
  const answers = await Promise.all(creates);
  assert.ok(answers.slice(-5).every((a) => a.status === 403));
  assert.ok(answers.every((a) => a.status === 201 || a.status === 403), answers.map((a) => a.status).join());
  const ok = answers.filter((a) => a.status === 201).length;
  const refused = answers.length - ok;
  assert.ok(refused > 0, 'some creates came after the withdrawal');
  // The ledger's withdrawal and the handling history agree: every record
  // was committed before the withdrawal's audit entry, every denial after.
  const w = Number(sql(srv.data, `SELECT seq FROM audit WHERE actor = 'person:${me.personId}' AND action = 'consent.record' ORDER BY seq DESC LIMIT 1`));
  const late = Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'person:${me.personId}' AND action = 'record.create' AND result = 'allow' AND seq > ${w}`));
  const denied = Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'person:${me.personId}' AND action = 'record.create' AND result = 'deny' AND seq > ${w}`));
  assert.equal(late, 0);
  assert.equal(denied, refused);
  assert.equal(records(me), ok);
});

test('R3.3 the person sees their full history with dates, as JSON and as FHIR Consent; nobody else does', async () => {
  const me = await signupAndLogin(srv);
  await decide(srv, me.token, [{ purpose: 'ai', decision: 'grant' }, { purpose: 'marketing', decision: 'refuse' }]);
  await decide(srv, me.token, [{ purpose: 'ai', decision: 'withdraw' }]);
  const r = await call(srv, 'GET', '/api/v1/me/consents', { token: me.token });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.history.map((h) => `${h.purpose}:${h.decision}`),
    ['service:grant', 'ai:grant', 'marketing:refuse', 'ai:withdraw']);
  for (const h of r.body.history) {
    assert.match(h.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(h.channel, 'api');
    assert.equal(h.recorded_by, `person:${me.personId}`);
  }
  const byCode = Object.fromEntries(r.body.purposes.map((p) => [p.code, p]));
  assert.equal(byCode.service.covers_current, true);
  assert.equal(byCode.ai.decision, 'withdraw');
  assert.equal(byCode.ai.covers_current, false);
  assert.equal(byCode.followup.decision, null);
  assert.equal(r.body.ready, true);

  const f = await call(srv, 'GET', '/fhir/Consent', { token: me.token });
  assert.equal(f.status, 200, f.text);
  assert.equal(f.body.resourceType, 'Bundle');
  const statuses = f.body.entry.map((e) => `${e.resource.provision.purpose[0].code}:${e.resource.status}`);
  assert.deepEqual(statuses, ['service:active', 'ai:inactive', 'marketing:rejected', 'ai:rejected']);
  const c = f.body.entry[0].resource;
  assert.equal(c.resourceType, 'Consent');
  assert.equal(c.patient.reference, `Patient/${me.personId}`);
  assert.equal(c.provision.type, 'permit');
  assert.ok(c.policy.some((p) => /^urn:phr:document:summary:1:/.test(p.uri)));

  const other = await signupAndLogin(srv);
  const peek = await call(srv, 'GET', `/fhir/Consent?patient=${me.personId}`, { token: other.token });
  nothingFound(peek, 'someone else\'s consents: nothing found, as for an id no one has');
  assert.deepEqual(audit(other, 'consent.read'), ['deny']);
});

test('R3.5 a minor change carries consent over with a notice; a material one stops use until consent is given again', async () => {
  const me = await signupAndLogin(srv);
  const m = manifestCopy();
  const service = m.json.purposes.find((p) => p.code === 'service');
  service.description.ja += '（表現を明確にしました）';
  writeFileSync(m.path, JSON.stringify(m.json));
  // An unmarked change is refused, and nothing is published.
  const unmarked = publish(m.path);
  assert.equal(unmarked.status, 1);
  assert.match(unmarked.stderr, /purpose service changed: mark the change "material"/);
  assert.equal(sql(srv.data, "SELECT max(version) FROM purposes WHERE code = 'service'"), '1');
  const dry = publish(m.path, ['--dry-run']);
  assert.equal(dry.status, 1, 'a dry run refuses the same way');

  service.change = 'minor';
  writeFileSync(m.path, JSON.stringify(m.json));
  const minor = publish(m.path);
  assert.equal(minor.status, 0, minor.stderr);
  assert.deepEqual(JSON.parse(minor.stdout).changes, [{ purpose: 'service', version: 2, change: 'minor' }]);
  assert.equal((await post(me)).status, 201, 'consent carries over a minor change');
  let mine = await call(srv, 'GET', '/api/v1/me/consents', { token: me.token });
  let s = mine.body.purposes.find((p) => p.code === 'service');
  assert.equal(s.notice, 'changed-minor');
  assert.equal(s.covers_current, true);

  service.description.ja += '（AI の学習にも利用します）';
  service.change = 'material';
  writeFileSync(m.path, JSON.stringify(m.json));
  assert.equal(publish(m.path).status, 0);
  const refused = await post(me);
  assert.equal(refused.status, 403);
  assert.match(refused.body.issue[0].diagnostics, /'service'/);
  mine = await call(srv, 'GET', '/api/v1/me/consents', { token: me.token });
  s = mine.body.purposes.find((p) => p.code === 'service');
  assert.equal(s.notice, 'changed-material');
  assert.equal(mine.body.ready, false);
  // Consent to the old version is refused; to the current one, accepted.
  assert.equal((await decide(srv, me.token, [{ purpose: 'service', decision: 'grant', version: 2 }])).status, 409);
  assert.equal((await decide(srv, me.token, [{ purpose: 'service', decision: 'grant', version: 3 }])).status, 201);
  assert.equal((await post(me)).status, 201);
  const published = sql(srv.data, "SELECT records FROM audit WHERE action = 'policy.publish' ORDER BY seq").split('\n');
  assert.deepEqual(published.slice(-2), ['service:v2', 'service:v3']);
  // A purpose left out of the manifest must be retired explicitly.
  m.json.purposes = m.json.purposes.filter((p) => p.code !== 'marketing');
  writeFileSync(m.path, JSON.stringify(m.json));
  const missing = publish(m.path);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /purpose marketing is published but missing/);
  rmSync(m.dir, { recursive: true, force: true });
});

test('R3.1 a changed text gets a new version of its kind only; a dropped translation is no longer in force; old hashes no longer count', async () => {
  const me = await signupAndLogin(srv, undefined, { consent: false });
  // What a Japanese reader was shown before the change.
  const oldShown = (await call(srv, 'GET', '/api/v1/policies')).body.documents.filter((d) => d.lang === 'ja').map((d) => d.sha256);
  const m = manifestCopy();
  writeFileSync(join(m.dir, 'terms.ja.md'), readFileSync(join(m.dir, 'terms.ja.md'), 'utf8') + '\n第8条（準拠法）日本法に準拠します。\n');
  m.json.documents = m.json.documents.filter((d) => !(d.kind === 'privacy' && d.lang === 'en'));
  // The purposes exactly as in force now (earlier tests changed some).
  m.json.purposes = manifestFrom((await call(srv, 'GET', '/api/v1/policies')).body).purposes;
  writeFileSync(m.path, JSON.stringify(m.json));
  const r = publish(m.path);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).changes.map((c) => `${c.document}:${c.version}`), ['terms:2', 'privacy:2']);
  const docs = (await call(srv, 'GET', '/api/v1/policies')).body.documents.map((d) => `${d.kind}/${d.lang}:${d.version}`).sort();
  assert.deepEqual(docs, ['anonymised/en:1', 'anonymised/ja:1', 'privacy/ja:2', 'summary/en:1', 'summary/ja:1', 'terms/en:2', 'terms/ja:2']);
  const stale = await decide(srv, me.token, [{ purpose: 'service', decision: 'grant' }], oldShown);
  assert.equal(stale.status, 422, 'a text no longer in force does not count as shown');
  assert.match(stale.body.detail, /terms, summary and privacy policy shown/);
  assert.equal((await decide(srv, me.token, [{ purpose: 'service', decision: 'grant' }])).status, 201);
  assert.equal(publish(m.path).status, 0);
  assert.equal(sql(srv.data, "SELECT max(version) FROM documents WHERE kind = 'terms'"), '2', 'republishing changes nothing');
  rmSync(m.dir, { recursive: true, force: true });
});

test('R3.9 suspension of use stops acquisition while the person keeps reading; it can be lifted; both are recorded', async () => {
  const me = await signupAndLogin(srv);
  await decide(srv, me.token, [{ purpose: 'service', decision: 'grant' }]);
  const kept = await post(me);
  assert.equal(kept.status, 201, kept.text);
  const suspend = (purpose, action) => call(srv, 'POST', '/api/v1/me/suspensions', { token: me.token, body: { purpose, action } });
  assert.equal((await suspend('*', 'suspend')).status, 204);
  const r = await post(me);
  assert.equal(r.status, 403);
  assert.match(r.body.issue[0].diagnostics, /suspended/);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${kept.body.id}`, { token: me.token })).status, 200);
  const again = await suspend('*', 'suspend');
  assert.equal(again.status, 409);
  assert.match(again.body.detail, /suspended already/);
  assert.equal((await suspend('no-such', 'suspend')).status, 422);
  assert.equal((await suspend('*', 'pause')).status, 422);
  const state = await call(srv, 'GET', '/api/v1/me/consents', { token: me.token });
  assert.equal(state.body.suspended_all, true);
  assert.equal(state.body.ready, false);
  assert.equal((await suspend('*', 'lift')).status, 204);
  assert.equal((await post(me)).status, 201);
  assert.equal((await suspend('*', 'lift')).status, 409);
  const actions = sql(srv.data, `SELECT action || ' ' || records FROM audit WHERE actor = 'person:${me.personId}' AND action LIKE 'use.%' AND result = 'allow' ORDER BY seq`);
  assert.deepEqual(actions.split('\n'), ['use.suspend *', 'use.lift *']);
  const hist = await call(srv, 'GET', '/api/v1/me/consents', { token: me.token });
  assert.deepEqual(hist.body.suspensions.map((s) => s.action), ['suspend', 'lift']);
});

test('R3.3 R3.6 the operator records a withdrawal taken by phone, and answers an inquiry with the same history', async () => {
  const me = await signupAndLogin(srv);
  await decide(srv, me.token, [{ purpose: 'service', decision: 'grant' }]);
  assert.equal((await post(me)).status, 201);
  const rec = phr(['consent', 'record', '--data', srv.data, '--login', me.login, '--purpose', 'service',
    '--decision', 'withdraw', '--channel', 'phone', '--by', 'Sato (support)', '--log-level', 'warn']);
  assert.equal(rec.status, 0, rec.stderr);
  assert.equal((await post(me)).status, 403, 'refused from the moment the operator recorded it');
  const show = phr(['consent', 'show', '--data', srv.data, '--login', me.login, '--log-level', 'warn']);
  assert.equal(show.status, 0, show.stderr);
  const h = JSON.parse(show.stdout).history.at(-1);
  assert.equal(h.decision, 'withdraw');
  assert.equal(h.channel, 'phone');
  assert.equal(h.recorded_by, 'operator:Sato (support)');
  const reads = sql(srv.data, `SELECT actor FROM audit WHERE action = 'consent.read' AND subject = '${me.personId}'`);
  assert.match(reads, /system:operator/);
  const bad = phr(['consent', 'record', '--data', srv.data, '--login', me.login, '--purpose', 'service',
    '--decision', 'grant', '--channel', 'pigeon', '--by', 'x']);
  assert.equal(bad.status, 2);
  const nobody = phr(['consent', 'show', '--data', srv.data, '--login', 'nobody@example.jp']);
  assert.equal(nobody.status, 1);
  assert.match(nobody.stderr, /no person has this login/);
});

test('R3.3 the ledger is append-only and its derived state matches the history', async () => {
  assert.throws(() => sql(srv.data, "UPDATE consents SET decision = 'grant'"), /append-only/);
  assert.throws(() => sql(srv.data, 'DELETE FROM consents'), /append-only/);
  assert.throws(() => sql(srv.data, "UPDATE purposes SET title_ja = 'x'"), /never changed/);
  const mismatches = sql(srv.data, `SELECT count(*) FROM consent_state s WHERE s.seq <>
    (SELECT max(seq) FROM consents c WHERE c.person_id = s.person_id AND c.purpose = s.purpose)`);
  assert.equal(mismatches, '0');
  const v = phr(['audit', 'verify', '--data', srv.data]);
  assert.equal(v.status, 0, v.stdout);
});

test('R3.2 a store with no published policies accepts no record at all', async () => {
  const bare = await startServer({ publish: false });
  const me = await signupAndLogin(bare, undefined, { consent: false });
  const r = await call(bare, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(120, 80) });
  assert.equal(r.status, 403);
  assert.match(r.body.issue[0].diagnostics, /has not published its terms/);
  await bare.stop();
});

test('R3.1 every published version of a policy stays readable, newest first, each with its hash; the kinds are the three', async () => {
  const own = await startServer(); // the purposes of this file's server were changed by the tests above
  const m = manifestCopy();
  for (const f of readdirSync(m.dir).filter((x) => x.startsWith('terms.'))) writeFileSync(join(m.dir, f), `${readFileSync(join(m.dir, f), 'utf8')}\n\n(改訂: 第2版)\n`);
  const before = (await call(own, 'GET', '/api/v1/policies/terms/versions')).body.versions.length;
  const pub = phr(['policy', 'publish', '--data', own.data, '--manifest', m.path]);
  assert.equal(pub.status, 0, pub.stderr);
  const r = await call(own, 'GET', '/api/v1/policies/terms/versions');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.versions.length, before + 2, 'a new version in each language');
  const [newest] = r.body.versions;
  assert.ok(newest.version > r.body.versions.at(-1).version, 'newest first');
  assert.match(newest.text, /第2版/);
  for (const v of r.body.versions) assert.equal(v.sha256, createHash('sha256').update(v.text, 'utf8').digest('hex'));
  assert.ok(r.body.versions.some((v) => !/第2版/.test(v.text)), 'the earlier text is still there');
  assert.equal((await call(own, 'GET', '/api/v1/policies/secrets/versions')).status, 404);
  assert.equal((await call(own, 'GET', '/api/v1/policies/terms')).status, 404);
  rmSync(m.dir, { recursive: true, force: true });
  await own.stop();
});
