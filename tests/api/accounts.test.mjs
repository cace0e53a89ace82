// Accounts (R2.4): sign-up rules, login, sessions in the store, lock-out,
// and answers that never tell whether an account exists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, uniqueLogin, PASSWORD, signupAndLogin, sql, bloodPressure } from './helpers.mjs';

let srv;
before(async () => {
  srv = await startServer({ env: { PHR_LOGIN_LOCK_AFTER: '3', PHR_LOGIN_LOCK_SECONDS: '600' } });
});
after(async () => srv.stop());

test('R2.4 sign-up creates an account; the same login twice is refused', async () => {
  const login = uniqueLogin();
  const r = await call(srv, 'POST', '/api/v1/signup', { body: { login, password: PASSWORD } });
  assert.equal(r.status, 201);
  assert.match(r.body.person_id, /^[0-9a-f-]{36}$/);
  const again = await call(srv, 'POST', '/api/v1/signup', { body: { login: login.toUpperCase(), password: PASSWORD } });
  assert.equal(again.status, 409);
  assert.equal(again.headers.get('content-type'), 'application/problem+json; charset=utf-8');
});

test('R2.4 password rules are enforced at sign-up with a clear reason', async () => {
  const cases = [
    ['short', /at least 10/],
    ['aaaaaaaaaaaaaa', /repeat/],
  ];
  for (const [password, why] of cases) {
    const r = await call(srv, 'POST', '/api/v1/signup', { body: { login: uniqueLogin(), password } });
    assert.equal(r.status, 422);
    assert.equal(r.body.code, 'password-weak');
    assert.match(r.body.detail, why);
  }
  const login = uniqueLogin('longname');
  const r = await call(srv, 'POST', '/api/v1/signup', { body: { login, password: `xx${login}xx` } });
  assert.equal(r.status, 422);
  assert.equal(r.body.code, 'password-weak');
  assert.match(r.body.detail, /login name/);
});

test('R2.9 malformed sign-up bodies are refused and change nothing', async () => {
  const before = sql(srv.data, 'SELECT count(*) FROM persons');
  const bad = [
    [{ body: '{"login": "x"', headers: {} }, 400, 'malformed'],
    [{ body: '{"login": 5, "password": "a long passphrase"}', headers: {} }, 400, 'bad-request'],
    [{ body: 'login=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'media-type'],
    [{ body: JSON.stringify({ login: 'a b c', password: PASSWORD }), headers: {} }, 422, 'invalid-value'],
    [{ body: JSON.stringify({ login: 'x'.repeat(20000), password: PASSWORD }), headers: {} }, 413, 'too-large'],
  ];
  for (const [opts, status, code] of bad) {
    const r = await call(srv, 'POST', '/api/v1/signup', opts);
    assert.equal(r.status, status, r.text);
    assert.equal(r.body.code, code, r.text);
  }
  assert.equal(sql(srv.data, 'SELECT count(*) FROM persons'), before);
});

test('R2.4 login returns a bearer token and a strict HttpOnly cookie; logout ends the session', async () => {
  const login = uniqueLogin();
  await call(srv, 'POST', '/api/v1/signup', { body: { login, password: PASSWORD } });
  const r = await call(srv, 'POST', '/api/v1/login', { body: { login, password: PASSWORD } });
  assert.equal(r.status, 200);
  assert.ok(r.body.token.length >= 40);
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /phr_session=/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  // Only a hash of the token is stored.
  assert.equal(sql(srv.data, `SELECT count(*) FROM sessions WHERE instr(token_hash, '${r.body.token}') > 0`), '0');
  const viaCookie = await call(srv, 'GET', '/fhir/Observation', { headers: { cookie: cookie.split(';')[0] } });
  assert.equal(viaCookie.status, 200);
  const out = await call(srv, 'POST', '/api/v1/logout', { token: r.body.token });
  assert.equal(out.status, 204);
  const after = await call(srv, 'GET', '/fhir/Observation', { token: r.body.token });
  assert.equal(after.status, 401);
});

test('R2.4 a wrong password and an unknown login get the same answer', async () => {
  const { login } = await signupAndLogin(srv);
  const wrong = await call(srv, 'POST', '/api/v1/login', { body: { login, password: 'not the password' } });
  const unknown = await call(srv, 'POST', '/api/v1/login', { body: { login: uniqueLogin('nobody'), password: 'not the password' } });
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.deepEqual(wrong.body, unknown.body);
});

test('R2.4 repeated failures lock a login, existing or not, even against the right password', async () => {
  const { login } = await signupAndLogin(srv);
  const ghost = uniqueLogin('ghost');
  for (let i = 0; i < 3; i++) {
    assert.equal((await call(srv, 'POST', '/api/v1/login', { body: { login, password: 'wrong password!' } })).status, 401);
    assert.equal((await call(srv, 'POST', '/api/v1/login', { body: { login: ghost, password: 'wrong password!' } })).status, 401);
  }
  const locked = await call(srv, 'POST', '/api/v1/login', { body: { login, password: PASSWORD } });
  const lockedGhost = await call(srv, 'POST', '/api/v1/login', { body: { login: ghost, password: PASSWORD } });
  assert.equal(locked.status, 429);
  assert.equal(lockedGhost.status, 429);
  assert.deepEqual(locked.body, lockedGhost.body);
  assert.ok(Number(locked.headers.get('retry-after')) > 500);
  // The lock-out is audited, without the password.
  const denied = sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'account.login' AND result = 'deny'");
  assert.ok(Number(denied) >= 8);
});

test('R2.4 sessions expire when idle', async () => {
  const short = await startServer({ env: { PHR_SESSION_IDLE_SECONDS: '1' } });
  try {
    const { token } = await signupAndLogin(short);
    assert.equal((await call(short, 'GET', '/fhir/Observation', { token })).status, 200);
    await new Promise((r) => setTimeout(r, 1300));
    const r = await call(short, 'GET', '/fhir/Observation', { token });
    assert.equal(r.status, 401);
    assert.match(r.body.issue[0].diagnostics, /expired/);
  } finally {
    await short.stop();
  }
});

test('R2.4 after a failure the next attempt must wait (slow-down)', async () => {
  const slow = await startServer({ env: { PHR_LOGIN_DELAY_MS: '5000' } });
  try {
    const { login } = await signupAndLogin(slow);
    assert.equal((await call(slow, 'POST', '/api/v1/login', { body: { login, password: 'wrong password!' } })).status, 401);
    const r = await call(slow, 'POST', '/api/v1/login', { body: { login, password: PASSWORD } });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
  } finally {
    await slow.stop();
  }
});

test('R2.9 a change signed in by cookie must come from this site (CSRF); bearer clients are not concerned', async () => {
  const me = await signupAndLogin(srv);
  const l = await call(srv, 'POST', '/api/v1/login', { body: { login: me.login, password: PASSWORD } });
  const cookie = l.headers.get('set-cookie').split(';')[0];
  const count = () => Number(sql(srv.data, `SELECT count(*) FROM records WHERE person_id = '${me.personId}'`));
  const post = (headers) => call(srv, 'POST', '/fhir/Observation', { headers: { cookie, ...headers }, body: bloodPressure(119, 79) });
  for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://evil.example' }, {}]) {
    const r = await post(headers);
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.match(r.body.issue[0].diagnostics, /must come from this site's pages/);
  }
  assert.equal(count(), 0, 'nothing was recorded');
  assert.equal((await post({ 'sec-fetch-site': 'same-origin' })).status, 201);
  assert.equal((await post({ origin: srv.url })).status, 201);
  assert.equal((await call(srv, 'GET', '/fhir/Observation', { headers: { cookie, 'sec-fetch-site': 'cross-site' } })).status, 200, 'reading is not a change');
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(118, 78) })).status, 201);
  assert.equal(count(), 3);
});

test('R2.9 many logins tried from one address lock that address out, in the store, whatever the login', async () => {
  const s = await startServer({ env: { PHR_CLIENT_LOCK_AFTER: '4', PHR_LOGIN_LOCK_AFTER: '100' } });
  const real = await signupAndLogin(s);
  for (let i = 0; i < 4; i++) {
    const r = await call(s, 'POST', '/api/v1/login', { body: { login: uniqueLogin('stuffing'), password: 'wrong password!' } });
    assert.equal(r.status, 401);
  }
  const locked = await call(s, 'POST', '/api/v1/login', { body: { login: real.login, password: PASSWORD } });
  assert.equal(locked.status, 429, 'even the right password, from this address, waits');
  assert.ok(Number(locked.headers.get('retry-after')) > 0);
  assert.match(sql(s.data, "SELECT login || ' ' || failures FROM login_throttle WHERE login LIKE 'client:%'"), /^client:127\.0\.0\.1 4$/);
  await s.stop();
});
