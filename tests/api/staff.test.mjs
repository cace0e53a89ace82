// Staff (R2.1, R2.2, R2.4): accounts made by the operator, sign-in with a
// mandatory TOTP second factor or a one-time recovery code, reason-bound
// access for handlers, auditors who read the handling history and never
// health data, disabling (by hand and after inactivity) that takes effect at
// once; and the authorization matrix: every route against every kind of
// actor, each denial audited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr, decide, totp, base32, clientToken } from './helpers.mjs';
import { manifestFrom } from '../../web/js/manifest.js';

let srv;
const run = (...args) => {
  const r = phr([...args, '--data', srv.data, '--log-level', 'warn']);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout ? JSON.parse(r.stdout) : null;
};

const staff = {};
// Signs in with the current code. Each code is accepted once, so tests
// that sign in repeatedly forget the last step used (the replay test below
// does not); the code is always the current one, so a step boundary
// between here and the server stays within the ±1 step window.
async function signIn(who) {
  const s = staff[who];
  sql(srv.data, `UPDATE staff SET totp_last_step = 0 WHERE id = '${s.id}'`);
  return call(srv, 'POST', '/api/v1/staff/login', { body: { login: s.login, password: s.password, otp: totp(s.totp_uri) } });
}

let alice, bob, record;
before(async () => {
  srv = await startServer();
  for (const role of ['handler', 'auditor', 'asset-manager', 'security-officer']) {
    staff[role] = run('staff', 'add', '--login', `${role}@provider.example.jp`, '--role', role);
  }
  alice = await signupAndLogin(srv);
  bob = await signupAndLogin(srv);
  record = (await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: bloodPressure(122, 81) })).body;
  for (const role of ['handler', 'auditor', 'asset-manager', 'security-officer']) {
    const r = await signIn(role);
    assert.equal(r.status, 200, `${role}: ${r.text}`);
    staff[role].token = r.body.token;
  }
});
after(async () => { await srv.stop(); });

test('R2.4 staff sign in with a password and a TOTP code; a wrong code, a replayed code or no code is refused', async () => {
  const h = staff.handler;
  const login = (otp, password = h.password) => call(srv, 'POST', '/api/v1/staff/login', { body: { login: h.login, password, otp } });
  sql(srv.data, `UPDATE staff SET totp_last_step = 0 WHERE id = '${h.id}'`);
  const code = totp(h.totp_uri);
  const ok = await login(code);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.role, 'handler');
  const replay = await login(code);
  assert.equal(replay.status, 401, 'a code is used once');
  const wrong = await login('000000');
  assert.equal(wrong.status, 401);
  const none = await login(undefined);
  assert.equal(none.status, 401);
  sql(srv.data, `UPDATE staff SET totp_last_step = 0 WHERE id = '${h.id}'`);
  const badpw = await login(totp(h.totp_uri), 'not the password');
  assert.equal(badpw.status, 401);
  assert.equal(badpw.body.detail, wrong.body.detail, 'the answer does not say which factor failed');
  const denied = Number(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'staff.login' AND result = 'deny'"));
  assert.ok(denied >= 4);
  // A person's login is not a staff login.
  const person = await call(srv, 'POST', '/api/v1/staff/login', { body: { login: alice.login, password: 'a long enough passphrase', otp: '123456' } });
  assert.equal(person.status, 401);
});

test('R2.4 a recovery code stands in for the second factor, once', async () => {
  const a = staff.auditor;
  const code = a.recovery_codes[0];
  const r = await call(srv, 'POST', '/api/v1/staff/login', { body: { login: a.login, password: a.password, recovery_code: code } });
  assert.equal(r.status, 200, r.text);
  const again = await call(srv, 'POST', '/api/v1/staff/login', { body: { login: a.login, password: a.password, recovery_code: code } });
  assert.equal(again.status, 401);
  assert.equal(sql(srv.data, `SELECT count(*) FROM staff_recovery WHERE used_at IS NOT NULL`), '1');
  assert.doesNotMatch(sql(srv.data, 'SELECT hex(code_hash) FROM staff_recovery').toLowerCase(), new RegExp(code));
});

test('R2.1 an information-asset manager manages staff over the API; nobody else can', async () => {
  const m = staff['asset-manager'];
  const add = await call(srv, 'POST', '/api/v1/staff/accounts', { token: m.token, body: { action: 'add', login: 'new@provider.example.jp', role: 'handler' } });
  assert.equal(add.status, 201, add.text);
  assert.match(add.body.totp_uri, /^otpauth:\/\/totp\//);
  assert.equal(add.body.recovery_codes.length, 10);
  assert.ok(add.body.qr.size >= 21 && add.body.qr.rows.length === add.body.qr.size, 'the URI as a QR code');
  const list = await call(srv, 'GET', '/api/v1/staff/accounts', { token: m.token });
  assert.equal(list.status, 200);
  assert.ok(list.body.some((x) => x.login === 'new@provider.example.jp' && x.status === 'active'));
  assert.ok(!list.text.includes('pw_hash') && !list.text.includes(add.body.password));
  const off = await call(srv, 'POST', '/api/v1/staff/accounts', { token: m.token, body: { action: 'disable', login: 'new@provider.example.jp' } });
  assert.equal(off.status, 204);
  const bad = await call(srv, 'POST', '/api/v1/staff/accounts', { token: m.token, body: { action: 'role', login: 'new@provider.example.jp', role: 'root' } });
  assert.equal(bad.status, 422);
  for (const token of [staff.handler.token, staff.auditor.token, alice.token]) {
    assert.equal((await call(srv, 'GET', '/api/v1/staff/accounts', { token })).status, 403);
    assert.equal((await call(srv, 'POST', '/api/v1/staff/accounts', { token, body: { action: 'add', login: 'x@provider.example.jp', role: 'auditor' } })).status, 403);
  }
  assert.match(sql(srv.data, `SELECT group_concat(records) FROM audit WHERE action = 'staff.manage' AND actor = 'staff:${m.id}'`), /add:.*disable:/);
});

test('R2.1 a manager cannot disable or demote themselves (so never the last manager); another manager can; nothing changes when refused', async () => {
  const m = staff['asset-manager'];
  const change = (body, token = m.token) => call(srv, 'POST', '/api/v1/staff/accounts', { token, body });
  const state = (login) => sql(srv.data, `SELECT role || ' ' || status FROM staff WHERE login = '${login}'`);
  const self = await change({ action: 'disable', login: m.login });
  assert.equal(self.status, 422, self.text);
  assert.equal(self.body.code, 'business-rule');
  assert.match(self.body.detail, /your own account/);
  const demote = await change({ action: 'role', login: m.login, role: 'auditor' });
  assert.equal(demote.status, 422, demote.text);
  assert.equal(state(m.login), 'asset-manager active', 'nothing changed');
  // A second manager, who may change the first.
  const add = await change({ action: 'add', login: 'm2@provider.example.jp', role: 'asset-manager' });
  assert.equal(add.status, 201, add.text);
  sql(srv.data, "UPDATE staff SET totp_last_step = 0 WHERE login = 'm2@provider.example.jp'");
  const m2 = await call(srv, 'POST', '/api/v1/staff/login', { body: { login: 'm2@provider.example.jp', password: add.body.password, otp: totp(add.body.totp_uri) } });
  assert.equal(m2.status, 200, m2.text);
  assert.equal((await change({ action: 'role', login: m.login, role: 'handler' }, m2.body.token)).status, 204);
  assert.equal(state(m.login), 'handler active');
  // Now the last manager: they cannot go either.
  const alone = await change({ action: 'disable', login: 'm2@provider.example.jp' }, m2.body.token);
  assert.equal(alone.status, 422, alone.text);
  assert.equal(state('m2@provider.example.jp'), 'asset-manager active');
  // The operator's command line, on the machine, stays the way back.
  run('staff', 'role', '--login', m.login, '--role', 'asset-manager');
  const back = await signIn('asset-manager');
  assert.equal(back.status, 200, back.text);
  staff['asset-manager'].token = back.body.token;
  assert.equal((await change({ action: 'disable', login: 'm2@provider.example.jp' })).status, 204, 'one of two may go');
});

test('R2.2 a handler opens a person\'s data only under a reason of theirs that names the person; each access records it', async () => {
  const h = staff.handler;
  const read = (reason, person = alice) => call(srv, 'GET', `/fhir/Observation?patient=${person.personId}`, {
    token: h.token, headers: reason ? { 'x-phr-reason': reason } : {},
  });
  const none = await read();
  assert.equal(none.status, 403);
  assert.match(none.body.issue[0].diagnostics, /X-PHR-Reason/);
  const opened = await call(srv, 'POST', '/api/v1/staff/reasons', { token: h.token, body: { person: alice.personId, reason: 'inquiry #4711 by phone' } });
  assert.equal(opened.status, 201, opened.text);
  const ok = await read(opened.body.reason_id);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.entry.length, 1);
  assert.equal((await read(opened.body.reason_id, bob)).status, 403, 'the reason names alice, not bob');
  const entries = sql(srv.data, `SELECT result || ' ' || reason FROM audit WHERE actor = 'staff:${h.id}' AND action = 'record.search' ORDER BY seq`).split('\n');
  assert.deepEqual(entries, ['deny no-reason', 'allow reason:inquiry #4711 by phone', 'deny no-reason']);
  // Expired: refused from that moment.
  sql(srv.data, `UPDATE access_reasons SET expires_at = 0 WHERE id = '${opened.body.reason_id}'`);
  assert.equal((await read(opened.body.reason_id)).status, 403);
  // Handlers read, never write.
  const put = await call(srv, 'PUT', `/fhir/Observation/${record.id}`, { token: h.token, headers: { 'x-phr-reason': opened.body.reason_id }, body: { ...bloodPressure(1, 1), id: record.id } });
  assert.ok([403, 404, 422].includes(put.status));
  for (const bad of [{ person: 'nobody', reason: 'x ticket' }, { person: alice.personId, reason: 'x' }, { person: alice.personId }]) {
    assert.equal((await call(srv, 'POST', '/api/v1/staff/reasons', { token: h.token, body: bad })).status, 422);
  }
  assert.equal((await call(srv, 'POST', '/api/v1/staff/reasons', { token: staff.auditor.token, body: { person: alice.personId, reason: 'curious' } })).status, 403);
});

test('R2.2 a handler names the person by the login they give on the phone; an unknown login is 404 and recorded; other roles look nothing up', async () => {
  const h = staff.handler;
  const byLogin = await call(srv, 'POST', '/api/v1/staff/reasons', { token: h.token, body: { login: bob.login.toUpperCase(), reason: 'inquiry 5150' } });
  assert.equal(byLogin.status, 201, byLogin.text);
  assert.equal(byLogin.body.person, bob.personId, 'the login, as the person typed it at sign-up or not, names them');
  const read = await call(srv, 'GET', `/fhir/Observation?patient=${byLogin.body.person}`, { token: h.token, headers: { 'x-phr-reason': byLogin.body.reason_id } });
  assert.equal(read.status, 200, read.text);
  const before = Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'staff:${h.id}' AND result = 'deny'`));
  const nobody = await call(srv, 'POST', '/api/v1/staff/reasons', { token: h.token, body: { login: 'nobody@example.jp', reason: 'inquiry 5151' } });
  assert.equal(nobody.status, 404, nobody.text);
  assert.equal(Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'staff:${h.id}' AND result = 'deny'`)), before + 1);
  for (const who of ['auditor', 'security-officer']) {
    const r = await call(srv, 'POST', '/api/v1/staff/reasons', { token: staff[who].token, body: { login: bob.login, reason: 'curious' } });
    assert.equal(r.status, 422, `${who}: no lookup, so no person: ${r.text}`);
    assert.ok(!r.text.includes(bob.personId));
  }
});

test('R2.3 auditors and the security officer read the handling history; nobody else does', async () => {
  for (const role of ['auditor', 'security-officer']) {
    const r = await call(srv, 'GET', `/api/v1/audit?person=${alice.personId}&limit=5`, { token: staff[role].token });
    assert.equal(r.status, 200, `${role}: ${r.text}`);
    assert.ok(r.body.entries.length > 0 && r.body.entries.length <= 5);
    assert.ok(r.body.entries.every((e) => e.subject === alice.personId));
  }
  for (const token of [staff.handler.token, staff['asset-manager'].token, alice.token]) {
    assert.equal((await call(srv, 'GET', '/api/v1/audit', { token })).status, 403);
  }
  assert.equal((await call(srv, 'GET', '/api/v1/audit?limit=0', { token: staff.auditor.token })).status, 400);
  assert.equal((await call(srv, 'GET', '/api/v1/audit?from=soon', { token: staff.auditor.token })).status, 400);
});

test('R2.1 disabling a staff member ends their session at once; enabling re-opens the account', async () => {
  const s = staff['security-officer'];
  assert.equal((await call(srv, 'GET', '/api/v1/audit?limit=1', { token: s.token })).status, 200);
  run('staff', 'disable', '--login', s.login);
  assert.equal((await call(srv, 'GET', '/api/v1/audit?limit=1', { token: s.token })).status, 401);
  const refused = await signIn('security-officer');
  assert.equal(refused.status, 403);
  assert.match(refused.body.detail, /disabled/);
  run('staff', 'enable', '--login', s.login);
  const back = await signIn('security-officer');
  assert.equal(back.status, 200, back.text);
  s.token = back.body.token;
  const changes = sql(srv.data, "SELECT records FROM audit WHERE action = 'staff.manage' AND records LIKE 'disable:%' OR records LIKE 'enable:%'");
  assert.match(changes, /disable:/);
  assert.match(changes, /enable:/);
});

test('R2.4 a staff account unused for 90 days is disabled at its next attempt, and the attempt is refused', async () => {
  const m = staff['asset-manager'];
  sql(srv.data, `UPDATE staff SET last_login_at = ${Date.now() - 91 * 86400000} WHERE id = '${m.id}'`);
  const r = await signIn('asset-manager');
  assert.equal(r.status, 403);
  assert.match(r.body.detail, /unused too long/);
  const list = run('staff', 'list');
  const row = list.find((x) => x.id === m.id);
  assert.equal(row.status, 'disabled');
  assert.match(row.disabled_reason, /unused for more than 90 days/);
  assert.match(sql(srv.data, "SELECT actor || ' ' || records FROM audit WHERE records LIKE '%inactive%'"), /system:inactivity disable:/);
});

test('R2.1 staff add refuses a duplicate login and an unknown role; roles can be changed', () => {
  const dup = phr(['staff', 'add', '--login', staff.handler.login, '--role', 'handler', '--data', srv.data]);
  assert.equal(dup.status, 1);
  assert.match(dup.stderr, /exists already/);
  const role = phr(['staff', 'add', '--login', 'x@provider.example.jp', '--role', 'admin', '--data', srv.data]);
  assert.equal(role.status, 1);
  assert.match(role.stderr, /security-officer, asset-manager, handler or auditor/);
  const stored = sql(srv.data, `SELECT hex(totp_sealed) FROM staff WHERE id = '${staff.handler.id}'`).toLowerCase();
  const secretHex = base32(new URL(staff.handler.totp_uri).searchParams.get('secret')).toString('hex');
  assert.ok(!stored.includes(secretHex), 'the TOTP key is sealed at rest');
});

// Every route against every kind of actor. Expected: the status, and for
// each refusal by the gate (403/404) an audit entry for that actor.
test('R2.1 R2.2 R2.3 authorization matrix: every route × every actor kind; every denial is audited', async () => {
  const clinicGroup = phr(['recipient', 'group', '--group', 'demo-partners', '--name', 'Partners', '--data', srv.data]);
  assert.equal(clinicGroup.status, 0, clinicGroup.stderr);
  const clinic = run('recipient', 'add', '--name', 'Clinic', '--address', 'Tokyo', '--country', 'JP', '--contact', 'c');
  run('recipient', 'agreement', '--recipient', clinic.id, '--signed', '2026-11-01', '--agreement-version', 'v1');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', clinic.id);
  const ct = await clientToken(srv, clinic.client_id, clinic.client_secret);
  const carol = await signupAndLogin(srv); // consents to provision
  await decide(srv, carol.token, [{ purpose: 'provision-partners', decision: 'grant' }]);
  const carolRec = (await call(srv, 'POST', '/fhir/Observation', { token: carol.token, body: bloodPressure(118, 76) })).body;
  const reason = (await call(srv, 'POST', '/api/v1/staff/reasons', { token: staff.handler.token, body: { person: carol.personId, reason: 'ticket 99' } })).body.reason_id;
  const expired = await signupAndLogin(srv);
  sql(srv.data, `UPDATE sessions SET expires_at = 0 WHERE person_id = '${expired.personId}'`);

  const P = carol.personId;
  const actors = {
    anonymous: {},
    owner: { token: carol.token },
    'other person': { token: bob.token },
    'handler, no reason': { token: staff.handler.token },
    'handler, reason': { token: staff.handler.token, headers: { 'x-phr-reason': reason } },
    auditor: { token: staff.auditor.token },
    'security officer': { token: staff['security-officer'].token },
    'recipient, consent': { token: ct.body.access_token },
    'expired session': { token: expired.token },
  };
  const routes = [
    ['GET', `/fhir/Observation?patient=${P}`],
    ['GET', `/fhir/Observation/${carolRec.id}`],
    ['GET', `/fhir/Observation/${carolRec.id}/_history`],
    ['POST', '/fhir/Observation', { ...bloodPressure(120, 80), subject: { reference: `Patient/${P}` } }],
    ['GET', `/fhir/Consent?patient=${P}`],
    ['GET', `/fhir/Provenance?patient=${P}`],
    ['GET', `/fhir/AuditEvent?patient=${P}`],
    ['GET', '/api/v1/me/consents'],
    ['GET', '/api/v1/audit?limit=1'],
    ['POST', '/api/v1/staff/reasons', { person: P, reason: 'matrix check' }],
  ];
  // rows: routes; columns: actors in the order above. 'none': a search
  // refused by the gate that answers an empty searchset (issue 20 item 3),
  // recorded as any refusal.
  const expected = [
    [401, 200, 'none', 403, 200, 404, 404, 200, 401],
    [401, 200, 404, 403, 200, 404, 404, 200, 401],
    [401, 200, 404, 403, 200, 404, 404, 404, 401],
    [401, 201, 403, 403, 403, 403, 403, 403, 401],
    [401, 200, 'none', 404, 404, 404, 404, 'none', 401],
    [401, 200, 'none', 404, 404, 404, 404, 'none', 401],
    [401, 200, 'none', 404, 404, 404, 404, 'none', 401],
    [401, 200, 200, 403, 403, 403, 403, 403, 401],
    [401, 403, 403, 403, 403, 200, 200, 403, 401],
    [401, 403, 403, 201, 201, 403, 403, 403, 401],
  ];
  const names = Object.keys(actors);
  const failures = [];
  for (const [i, [method, path, body]] of routes.entries()) {
    for (const [j, name] of names.entries()) {
      const a = actors[name];
      const before = Number(sql(srv.data, 'SELECT count(*) FROM audit WHERE result = \'deny\''));
      const r = await call(srv, method, path, { token: a.token, headers: a.headers ?? {}, body });
      const none = expected[i][j] === 'none';
      if (r.status !== (none ? 200 : expected[i][j])) failures.push(`${method} ${path} as ${name}: ${r.status}, expected ${expected[i][j]}`);
      if (none && (r.body?.total !== 0 || (r.body?.entry ?? []).length)) failures.push(`${method} ${path} as ${name}: something found`);
      const gateDenial = none || ((r.status === 403 || r.status === 404) && !path.startsWith('/api/v1/me/') && !path.startsWith('/api/v1/staff/reasons'));
      if (gateDenial) {
        const after = Number(sql(srv.data, 'SELECT count(*) FROM audit WHERE result = \'deny\''));
        if (after !== before + 1) failures.push(`${method} ${path} as ${name}: ${r.status} without an audit entry`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

test('R2.8 an auditor pages through the history: each page ends with where the next begins; nothing is seen twice or missed', async () => {
  const token = staff.auditor.token;
  const all = (await call(srv, 'GET', '/api/v1/audit?limit=1000', { token })).body.entries.map((e) => e.seq);
  const seen = [];
  let after = null;
  for (let i = 0; i < 200; i++) {
    const r = await call(srv, 'GET', `/api/v1/audit?limit=7${after ? `&after=${encodeURIComponent(after)}` : ''}`, { token });
    assert.equal(r.status, 200, r.text);
    seen.push(...r.body.entries.map((e) => e.seq));
    if (!r.body.more) break;
    assert.match(r.body.next, /^\d+:\d+$/);
    after = r.body.next;
  }
  // Each reading is itself recorded, after the first page: those are new entries, past the end.
  assert.deepEqual(seen.slice(0, all.length), all, 'in order, none twice, none missed');
  assert.equal(new Set(seen).size, seen.length);
  for (const bad of ['x', '1:', '-1:2', '1:2:3']) {
    const r = await call(srv, 'GET', `/api/v1/audit?after=${encodeURIComponent(bad)}`, { token });
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
  }
});

test('R2.3 R2.8 the security officer and auditors verify the whole history over the API; others are refused; tampering shows', async () => {
  const fresh = {};
  for (const who of ['auditor', 'security-officer', 'handler']) {
    const r = await signIn(who);
    assert.equal(r.status, 200, `${who}: ${r.text}`);
    fresh[who] = r.body.token;
  }
  for (const who of ['auditor', 'security-officer']) {
    const v = await call(srv, 'GET', '/api/v1/audit/verify', { token: fresh[who] });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.intact, true);
    assert.ok(v.body.entries > 5);
  }
  const person = await signupAndLogin(srv);
  for (const token of [fresh.handler, person.token]) {
    const v = await call(srv, 'GET', '/api/v1/audit/verify', { token });
    assert.equal(v.status, 403, v.text);
  }
  assert.equal((await call(srv, 'GET', '/api/v1/audit/verify')).status, 401);
  const reads = sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'audit.read' AND records LIKE 'verify %'");
  assert.ok(Number(reads) >= 2, 'each verification is recorded as a reading of the history');
  // Rewriting an entry (the store refuses it; force it as an attacker with file access would).
  sql(srv.data, "DROP TRIGGER IF EXISTS audit_no_update; UPDATE audit SET reason = 'rewritten' WHERE seq = 3");
  const broken = await call(srv, 'GET', '/api/v1/audit/verify', { token: fresh.auditor });
  assert.equal(broken.status, 200);
  assert.equal(broken.body.intact, false);
  assert.equal(broken.body.first_bad_entry, 3);
});

test('R2.6 R4.6 the outside organisations and their agreements are listed for the staff who answer for them only', async () => {
  const r = run('recipient', 'add', '--name', 'Clinic Z', '--address', '1-1 Chiyoda, Tokyo', '--country', 'JP', '--contact', 'z@example.jp');
  run('recipient', 'agreement', '--recipient', r.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-Z', '--certification', 'ISMS', '--cert-expires', '2028-03-31');
  const fresh = {};
  for (const who of ['security-officer', 'auditor', 'handler']) fresh[who] = (await signIn(who)).body.token;
  for (const who of ['security-officer', 'auditor']) {
    const l = await call(srv, 'GET', '/api/v1/staff/recipients', { token: fresh[who] });
    assert.equal(l.status, 200, l.text);
    const z = l.body.find((o) => o.name === 'Clinic Z');
    assert.deepEqual([z.agreement.version, z.agreement.certification, z.agreement.cert_expires], ['DPA-Z', 'ISMS', '2028-03-30T15:00:00.000Z'],
      'an instant: the end of 2028-03-30 in UTC is the start of 2028-03-31 in Japan');
    assert.equal(JSON.stringify(l.body).includes('secret'), false, 'no client secret, not even its hash');
  }
  assert.equal((await call(srv, 'GET', '/api/v1/staff/recipients', { token: fresh.handler })).status, 403);
  assert.equal((await call(srv, 'GET', '/api/v1/staff/recipients', { token: (await signupAndLogin(srv)).token })).status, 403);
  assert.equal((await call(srv, 'PUT', '/api/v1/staff/recipients', { token: fresh.auditor, body: {} })).status, 405);
});

// The first manager was disabled for inactivity above: a second one.
async function managerToken() {
  staff.manager ??= run('staff', 'add', '--login', 'manager2@provider.example.jp', '--role', 'asset-manager');
  const r = await signIn('manager');
  assert.equal(r.status, 200, r.text);
  return r.body.token;
}

// The manager's writes, refused to every other role with an audit entry
// of the refusal, whatever the body carried.
test('R2.1 R2.3 R2.7 R3.1 only the information-asset manager publishes policies and manages organisations and staff; each refusal is audited', async () => {
  const writes = [
    ['/api/v1/staff/policies', 'policy.publish', { documents: 'not even a manifest' }],
    ['/api/v1/staff/recipients', 'recipient.manage', { action: 'group', group: 'sneaky', name: 'Sneaky' }],
    ['/api/v1/staff/accounts', 'staff.manage', { action: 'add', login: 'sneaky@provider.example.jp', role: 'asset-manager' }],
  ];
  const fresh = {};
  for (const who of ['handler', 'auditor', 'security-officer']) fresh[who] = (await signIn(who)).body.token;
  for (const [path, action, body] of writes) {
    for (const who of Object.keys(fresh)) {
      const denials = () => Number(sql(srv.data, `SELECT count(*) FROM audit WHERE action = '${action}' AND result = 'deny' AND actor = 'staff:${staff[who].id}'`));
      const before = denials();
      const r = await call(srv, 'POST', path, { token: fresh[who], body });
      assert.equal(r.status, 403, `${who} ${path}: ${r.text}`);
      assert.match(r.body.detail, /information-asset manager/);
      assert.equal(denials(), before + 1, `${who} ${path}: the refusal is in the handling history`);
    }
    assert.equal((await call(srv, 'POST', path, { token: alice.token, body })).status, 403, `a person ${path}`);
  }
  assert.equal(sql(srv.data, "SELECT count(*) FROM recipient_groups WHERE code = 'sneaky'"), '0');
  assert.equal(sql(srv.data, "SELECT count(*) FROM staff WHERE login = 'sneaky@provider.example.jp'"), '0');
});

test('R2.7 the information-asset manager adds an organisation, a group, a membership and an agreement over the API; bad input changes nothing', async () => {
  const token = await managerToken();
  const post = (body) => call(srv, 'POST', '/api/v1/staff/recipients', { token, body });
  const added = await post({ action: 'add', name: 'Clinic API', address: '2-2 Minato, Tokyo', country: 'JP', contact: 'api@example.jp' });
  assert.equal(added.status, 201, added.text);
  assert.match(added.body.client_secret, /^[0-9a-f]{64}$/, 'the client secret, shown this once');
  const client = await clientToken(srv, added.body.client_id, added.body.client_secret);
  assert.equal(client.status, 200, 'the new organisation signs in as an API client');
  assert.equal((await post({ action: 'group', group: 'api-partners', name: 'API partners' })).status, 201);
  assert.equal((await post({ action: 'group', group: 'api-partners', name: 'again' })).status, 409);
  assert.equal((await post({ action: 'join', group: 'api-partners', recipient: added.body.id })).status, 204);
  assert.equal((await post({ action: 'join', group: 'api-partners', recipient: added.body.id })).status, 409);
  assert.equal((await post({ action: 'join', group: 'no-such-group', recipient: added.body.id })).status, 404);
  const agreement = { action: 'agreement', recipient: added.body.id, signed: '2026-12-01', version: 'DPA-API', certification: 'Pマーク', cert_expires: '2028-09-30' };
  const badDay = await post({ ...agreement, signed: '12/01/2026' });
  assert.equal(badDay.status, 422);
  assert.match(badDay.body.detail, /^signed: a date/);
  assert.equal((await post({ ...agreement, cert_expires: 'soon' })).status, 422);
  assert.equal((await post({ ...agreement, version: '' })).status, 422);
  assert.equal((await post({ action: 'rename', name: 'x' })).status, 422);
  assert.equal((await post({ action: 'add', name: 'No country', address: 'a', country: 'Japan', contact: 'c' })).status, 422);
  assert.equal(sql(srv.data, `SELECT count(*) FROM agreements WHERE recipient_id = '${added.body.id}'`), '0', 'refused agreements wrote nothing');
  assert.equal((await post(agreement)).status, 204);
  const list = (await call(srv, 'GET', '/api/v1/staff/recipients', { token })).body;
  const mine = list.find((o) => o.id === added.body.id);
  assert.deepEqual(mine.groups, ['api-partners']);
  assert.deepEqual([mine.agreement.version, mine.agreement.signed_on, mine.agreement.certification], ['DPA-API', '2026-11-30T15:00:00.000Z', 'Pマーク']);
  assert.equal((await post({ action: 'leave', group: 'api-partners', recipient: added.body.id })).status, 204);
  const after = (await call(srv, 'GET', '/api/v1/staff/recipients', { token })).body.find((o) => o.id === added.body.id);
  assert.deepEqual(after.groups, []);
  const managed = sql(srv.data, "SELECT group_concat(records, ' ') FROM audit WHERE action = 'recipient.manage' AND result = 'allow' AND actor LIKE 'staff:%'");
  for (const what of ['recipient:', 'group:api-partners', 'join:api-partners:', 'agreement:', 'leave:api-partners:']) assert.ok(managed.includes(what), `${what} in ${managed}`);
});

test('R3.1 R3.5 the information-asset manager publishes texts and purposes over the API, each purpose change marked; a dry run and a refusal write nothing', async () => {
  const token = await managerToken();
  const publish = (body, query = '') => call(srv, 'POST', `/api/v1/staff/policies${query}`, { token, body });
  const versions = () => sql(srv.data, "SELECT group_concat(code || ':' || version, ' ') FROM (SELECT code, version FROM purposes ORDER BY code, version) AS v");
  const me = await signupAndLogin(srv);
  assert.equal((await decide(srv, me.token, [{ purpose: 'research', decision: 'grant' }])).status, 201);
  const draft = manifestFrom((await call(srv, 'GET', '/api/v1/policies')).body);
  const same = await publish(draft);
  assert.equal(same.status, 200, same.text);
  assert.deepEqual(same.body.changes, [], 'what is in force, sent back, changes nothing');

  const before = versions();
  const research = draft.purposes.find((p) => p.code === 'research');
  research.description.ja += '（研究成果を学会で発表します）';
  const unmarked = await publish(draft);
  assert.equal(unmarked.status, 422);
  assert.match(unmarked.body.detail, /purpose research changed: mark the change "material"/);
  research.change = 'material';
  const dry = await publish(draft, '?dry_run=true');
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual(dry.body, { dry_run: true, changes: [{ purpose: 'research', version: 2, change: 'material' }] });
  assert.equal(versions(), before, 'the dry run and the refusal wrote nothing');
  const withFile = structuredClone(draft);
  withFile.documents[0].file = 'terms.ja.md';
  const file = await publish(withFile);
  assert.equal(file.status, 422);
  assert.match(file.body.detail, /send the text itself as "body"/);
  assert.equal((await publish(draft, '?dry_run=maybe')).status, 400);

  const terms = draft.documents.find((d) => d.kind === 'terms' && d.lang === 'ja');
  terms.body += '\n第9条（連絡先）お問い合わせ窓口は本サービス上で案内します。\n';
  const done = await publish(draft);
  assert.equal(done.status, 200, done.text);
  assert.deepEqual(done.body.changes, [{ document: 'terms', version: 2, change: 'new-version' }, { purpose: 'research', version: 2, change: 'material' }]);
  const now = (await call(srv, 'GET', '/api/v1/policies')).body;
  assert.ok(now.documents.find((d) => d.kind === 'terms' && d.lang === 'ja').text.includes('第9条'));
  const mine = (await call(srv, 'GET', '/api/v1/me/consents', { token: me.token })).body.purposes.find((p) => p.code === 'research');
  assert.deepEqual([mine.notice, mine.covers_current], ['changed-material', false], 'a material change asks the person again');
  assert.match(sql(srv.data, `SELECT records FROM audit WHERE action = 'policy.publish' AND actor = 'staff:${staff.manager.id}' AND result = 'allow'`), /research:v2/);

  // A minor change carries the consent over.
  const again = manifestFrom(now);
  again.purposes.find((p) => p.code === 'followup').description.en += ' (by e-mail too)';
  again.purposes.find((p) => p.code === 'followup').change = 'minor';
  assert.deepEqual((await publish(again)).body.changes, [{ purpose: 'followup', version: 2, change: 'minor' }]);
});
