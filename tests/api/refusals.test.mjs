// Fail closed and on the record (R2.3, issue 17 items 2–3): every refusal of
// an identified caller is in the handling history, whichever route refused
// it — the router (a caller of the wrong kind, a cross-site change signed in
// by cookie, an expired session), or the use case (someone else's id). And
// the router's own answers: 405 with Allow, 404 for a path no route has,
// each route's body limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr, totp, clientToken } from './helpers.mjs';

let srv, alice, bob, clinic, clinicToken, auditor;
const run = (...args) => {
  const r = phr([...args, '--data', srv.data, '--log-level', 'warn']);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout ? JSON.parse(r.stdout) : null;
};
const denials = (actor, action) => Number(sql(srv.data,
  `SELECT count(*) FROM audit WHERE actor = '${actor}' AND action = '${action}' AND result = 'deny'`));
const last = (actor) => sql(srv.data, `SELECT action || '|' || coalesce(subject, '') || '|' || coalesce(reason, '') FROM audit WHERE actor = '${actor}' ORDER BY seq DESC LIMIT 1`);

before(async () => {
  srv = await startServer();
  alice = await signupAndLogin(srv);
  bob = await signupAndLogin(srv);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: bloodPressure(121, 79) })).status, 201);
  clinic = run('recipient', 'add', '--name', 'Clinic R', '--address', '1-1 Chiyoda, Tokyo', '--country', 'JP', '--contact', 'desk@example.jp');
  const t = await clientToken(srv, clinic.client_id, clinic.client_secret);
  clinicToken = t.body.access_token;
  auditor = run('staff', 'add', '--login', 'auditor@provider.example.jp', '--role', 'auditor');
  const s = await call(srv, 'POST', '/api/v1/staff/login', { body: { login: auditor.login, password: auditor.password, otp: totp(auditor.totp_uri) } });
  assert.equal(s.status, 200, s.text);
  auditor.token = s.body.token;
});
after(async () => { await srv.stop(); });

test('R2.3 another person\'s Patient and $everything: 404 as for no one, and recorded naming whom', async () => {
  const bobActor = `person:${bob.personId}`;
  const r = await call(srv, 'GET', `/fhir/Patient/${alice.personId}`, { token: bob.token });
  assert.equal(r.status, 404, r.text);
  assert.equal(last(bobActor), `record.read|${alice.personId}|not-own`);
  const e = await call(srv, 'GET', `/fhir/Patient/${alice.personId}/$everything`, { token: bob.token });
  assert.equal(e.status, 404, e.text);
  assert.doesNotMatch(e.text, /121/);
  assert.equal(last(bobActor), `record.search|${alice.personId}|not-own`);
  const nobody = await call(srv, 'GET', '/fhir/Patient/00000000-0000-4000-8000-000000000009', { token: bob.token });
  assert.equal(nobody.status, 404);
  assert.equal(nobody.body.issue[0].diagnostics, r.body.issue[0].diagnostics, 'the same answer as for someone\'s id');
  assert.equal((await call(srv, 'GET', `/fhir/Patient/${bob.personId}`, { token: bob.token })).status, 200);
});

test('R2.3 a person on a recipient\'s routes ($sphr, $export) is refused 403 and recorded', async () => {
  const actor = `person:${alice.personId}`;
  const before = [denials(actor, 'record.search'), denials(actor, 'bulk.export')];
  const s = await call(srv, 'GET', `/fhir/Patient/${alice.personId}/$sphr`, { token: alice.token });
  assert.equal(s.status, 403, s.text);
  assert.equal(s.body.resourceType, 'OperationOutcome');
  const x = await call(srv, 'GET', '/fhir/$export', { token: alice.token, headers: { prefer: 'respond-async' } });
  assert.equal(x.status, 403, x.text);
  const g = await call(srv, 'GET', '/fhir/Group/demo-partners/$export', { token: alice.token, headers: { prefer: 'respond-async' } });
  assert.equal(g.status, 403, g.text);
  assert.deepEqual([denials(actor, 'record.search'), denials(actor, 'bulk.export')], [before[0] + 1, before[1] + 2]);
});

test('R2.3 recipients and staff on /api/v1/me/* and on a person\'s imports are refused and recorded', async () => {
  const cases = [
    ['GET', '/api/v1/me/consents', 'consent.read'], ['POST', '/api/v1/me/consents', 'consent.record'],
    ['GET', '/api/v1/me/provisions', 'provision.read'], ['GET', '/api/v1/me/disclosure', 'disclosure.read'],
    ['GET', '/api/v1/me/export/sphr.zip', 'disclosure.read'], ['POST', '/api/v1/me/erasures', 'erasure.request'],
    ['GET', '/api/v1/me/second-factor', 'account.second-factor'], ['POST', '/api/v1/imports', 'record.create'],
    ['POST', '/api/v1/logout', 'account.logout'],
  ];
  for (const [who, token] of [[`recipient:${clinic.id}`, clinicToken], [`staff:${auditor.id}`, auditor.token]]) {
    for (const [method, path, action] of cases) {
      const before = denials(who, action);
      const r = await call(srv, method, path, { token, body: method === 'POST' ? {} : undefined });
      assert.equal(r.status, 403, `${who} ${method} ${path}: ${r.text}`);
      assert.match(r.body.detail, /the person whose data it is/);
      assert.equal(denials(who, action), before + 1, `${who} ${method} ${path} recorded`);
    }
  }
  // A person on the staff's routes, too.
  const before = denials(`person:${alice.personId}`, 'audit.read');
  assert.equal((await call(srv, 'GET', '/api/v1/audit', { token: alice.token })).status, 403);
  assert.equal(denials(`person:${alice.personId}`, 'audit.read'), before + 1);
});

test('R2.3 an auditor asking to open a person\'s data under a reason is refused and recorded', async () => {
  const who = `staff:${auditor.id}`;
  const before = denials(who, 'staff.reason');
  const r = await call(srv, 'POST', '/api/v1/staff/reasons', { token: auditor.token, body: { person: alice.personId, reason: 'ticket 42' } });
  assert.equal(r.status, 403, r.text);
  assert.equal(denials(who, 'staff.reason'), before + 1);
  assert.equal(last(who), `staff.reason|${alice.personId}|role`);
});

test('R2.3 R3.10 confirming someone else\'s erasure request: 404, nothing erased, recorded under whose it is', async () => {
  const req = await call(srv, 'POST', '/api/v1/me/erasures', { token: alice.token, body: { scope: 'records' } });
  assert.equal(req.status, 201, req.text);
  const r = await call(srv, 'POST', `/api/v1/me/erasures/${req.body.id}/confirm`, { token: bob.token, body: { password: 'a long enough passphrase' } });
  assert.equal(r.status, 404, r.text);
  assert.equal(last(`person:${bob.personId}`), `erasure.execute|${alice.personId}|not-own`);
  assert.equal(sql(srv.data, `SELECT status FROM erasures WHERE id = '${req.body.id}'`), 'requested');
});

test('R2.3 R2.9 a cross-site change signed in by cookie is refused and recorded as the cookie\'s owner', async () => {
  const who = `person:${alice.personId}`;
  const before = denials(who, 'consent.record');
  const r = await call(srv, 'POST', '/api/v1/me/consents', {
    body: { decisions: [{ purpose: 'marketing', decision: 'grant' }], shown: [] },
    headers: { cookie: `phr_session=${alice.token}`, 'sec-fetch-site': 'cross-site' },
  });
  assert.equal(r.status, 403, r.text);
  assert.equal(denials(who, 'consent.record'), before + 1);
  assert.equal(last(who), 'consent.record||cross-site');
  assert.equal(sql(srv.data, `SELECT count(*) FROM consents WHERE person_id = '${alice.personId}' AND purpose = 'marketing'`), '0');
});

test('R2.3 an expired session is refused 401 and the attempt recorded as its owner', async () => {
  const carol = await signupAndLogin(srv);
  sql(srv.data, `UPDATE sessions SET expires_at = 1 WHERE person_id = '${carol.personId}'`);
  const r = await call(srv, 'GET', '/api/v1/me/consents', { token: carol.token });
  assert.equal(r.status, 401, r.text);
  assert.equal(last(`person:${carol.personId}`), 'consent.read||session-expired');
  // An unknown token names no one: refused, nothing to record.
  const n = Number(sql(srv.data, 'SELECT count(*) FROM audit'));
  assert.equal((await call(srv, 'GET', '/api/v1/me/consents', { token: 'x'.repeat(43) })).status, 401);
  assert.equal(Number(sql(srv.data, 'SELECT count(*) FROM audit')), n);
});

test('the router: 405 names the methods the path has, 404 for a path no route has, the body limit is the route\'s', async () => {
  const put = await call(srv, 'PUT', '/fhir/MedicationDispense', { token: alice.token, body: {} });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('allow'), 'GET');
  assert.equal(put.body.resourceType, 'OperationOutcome');
  const obs = await call(srv, 'DELETE', '/fhir/Observation/00000000-0000-4000-8000-000000000001', { token: alice.token });
  assert.equal(obs.status, 405);
  assert.equal(obs.headers.get('allow'), 'GET, PUT');
  const api = await call(srv, 'GET', '/api/v1/login');
  assert.equal(api.status, 405);
  assert.equal(api.headers.get('allow'), 'POST');
  assert.equal((await call(srv, 'GET', '/fhir/Nothing', { token: alice.token })).status, 404);
  assert.equal((await call(srv, 'GET', '/api/v1/nothing')).status, 404);
  assert.equal((await call(srv, 'GET', '/fhir/Observation/', { token: alice.token })).status, 404);
  // 16 KiB for the JSON API, 256 KiB for FHIR: per route, not per prefix.
  const big = 'x'.repeat(20 * 1024);
  assert.equal((await call(srv, 'POST', '/api/v1/login', { body: { login: big, password: big } })).status, 413);
  const fhir = await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: { ...bloodPressure(120, 80), note: [{ text: big }] } });
  assert.notEqual(fhir.status, 413, 'a FHIR body of 20 KiB is within its route\'s limit');
  // HEAD is GET without the body.
  assert.equal((await fetch(`${srv.url}/api/v1/health`, { method: 'HEAD' })).status, 200);
});
