// A person's optional second factor (R2.4): turned on with a first code,
// asked for at every sign-in after, a code accepted once, ten recovery
// codes each good once instead, turned off only with the password and a
// code (or by the operator for a lost phone), the key sealed and the
// recovery codes hashed in the store, every change and refusal in the
// handling history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, signupAndLogin, sql, phr, totp, base32, PASSWORD } from './helpers.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const factor = (who, body) => call(srv, body ? 'POST' : 'GET', '/api/v1/me/second-factor', { token: who.token, body });
const signIn = (who, otp, recovery) => call(srv, 'POST', '/api/v1/login', { body: { login: who.login, password: PASSWORD, ...(otp ? { otp } : {}), ...(recovery ? { recovery_code: recovery } : {}) } });
// A code that is certainly not the current one.
const wrong = (code) => code.slice(0, 5) + String((Number(code[5]) + 5) % 10);
const audit = (who, action) => sql(srv.data, `SELECT group_concat(result || ':' || coalesce(records, '') || ':' || coalesce(reason, ''), ' ') FROM audit WHERE action = '${action}' AND subject = '${who.personId}'`);

async function turnOn(who) {
  const begun = await factor(who, { action: 'begin' });
  assert.equal(begun.status, 200, begun.text);
  const confirmed = await factor(who, { action: 'confirm', otp: totp(begun.body.totp_uri) });
  assert.equal(confirmed.status, 200, confirmed.text);
  who.recoveryCodes = confirmed.body.recovery_codes;
  return begun.body.totp_uri;
}

test('R2.4 a person turns a second factor on with a first code; sign-in then needs a fresh code; a missing, wrong or replayed code is refused and recorded', async () => {
  const me = await signupAndLogin(srv);
  assert.deepEqual((await factor(me)).body, { enabled: false, pending: false });
  const begun = await factor(me, { action: 'begin' });
  assert.equal(begun.status, 200, begun.text);
  const uri = begun.body.totp_uri;
  assert.ok(uri.startsWith(`otpauth://totp/PHR:${me.login}?secret=`), uri);
  assert.deepEqual((await factor(me)).body, { enabled: false, pending: true });
  assert.equal((await signIn(me)).status, 200, 'a key awaiting its first code is not asked for yet');

  const badFirst = await factor(me, { action: 'confirm', otp: wrong(totp(uri)) });
  assert.equal(badFirst.status, 422);
  assert.match(badFirst.body.detail, /does not match/);
  assert.deepEqual((await factor(me)).body, { enabled: false, pending: true }, 'a wrong first code changes nothing');
  const code = totp(uri);
  assert.equal((await factor(me, { action: 'confirm', otp: code })).status, 200);
  assert.deepEqual((await factor(me)).body, { enabled: true, pending: false });
  assert.equal((await factor(me, { action: 'begin' })).status, 409, 'a key in use is not replaced');

  // The key is sealed with the person's data key: its secret is not in the store.
  const secretHex = base32(new URL(uri).searchParams.get('secret')).toString('hex');
  const stored = sql(srv.data, `SELECT hex(sealed) || ' ' || length(sealed) FROM second_factors WHERE person_id = '${me.personId}'`);
  assert.equal(stored.split(' ')[1], String(20 + 40));
  assert.ok(!stored.toLowerCase().includes(secretHex));

  // Every wrong factor gets the one answer: none of them says the password was right.
  const wrongPassword = await call(srv, 'POST', '/api/v1/login', { body: { login: me.login, password: 'not the password at all' } });
  const missing = await signIn(me);
  assert.equal(missing.status, 401);
  assert.match(missing.body.detail, /6-digit code/);
  assert.equal(missing.body.detail, wrongPassword.body.detail, 'a missing code is answered as a wrong password');
  assert.equal(sql(srv.data, `SELECT failures FROM login_throttle WHERE login = '${me.login}|127.0.0.1'`), '2',
    'and counted as one, or the next delay would tell');
  sql(srv.data, `DELETE FROM login_throttle`);
  const replay = await signIn(me, code);
  assert.equal(replay.status, 401, 'the code used to turn it on is not accepted again');
  assert.equal(replay.body.detail, wrongPassword.body.detail);
  const bad = await signIn(me, wrong(totp(uri, 1)));
  assert.equal(bad.status, 401);
  assert.notEqual(sql(srv.data, `SELECT count(*) FROM login_throttle WHERE login = '${me.login}|127.0.0.1'`), '0', 'a wrong code counts as a failure');
  sql(srv.data, `DELETE FROM login_throttle`);
  const ok = await signIn(me, totp(uri, 1));
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await signIn(me, totp(uri, 1))).status, 401, 'each code once');
  sql(srv.data, `DELETE FROM login_throttle`);

  assert.equal(audit(me, 'account.second-factor'), 'allow:begin: allow:confirm:');
  const logins = sql(srv.data, `SELECT group_concat(result || ':' || coalesce(reason, ''), ' ') FROM audit WHERE action = 'account.login' AND subject = '${me.personId}'`);
  assert.match(logins, /deny: deny:second-factor deny:second-factor deny:second-factor allow: deny:second-factor$/);
});

test('R2.4 turning it off needs the password and a current code; a wrong one is refused, recorded and changes nothing; the operator resets it for a lost phone', async () => {
  const me = await signupAndLogin(srv);
  const uri = await turnOn(me);
  const refused = await factor(me, { action: 'off', password: 'not the password at all', otp: totp(uri, 1) });
  assert.equal(refused.status, 403);
  assert.match(refused.body.detail, /nothing was changed/);
  const noCode = await factor(me, { action: 'off', password: PASSWORD });
  assert.equal(noCode.status, 403);
  assert.deepEqual((await factor(me)).body, { enabled: true, pending: false });
  assert.equal(audit(me, 'account.second-factor'), 'allow:begin: allow:confirm: deny:off:wrong-password-or-code deny:off:wrong-password-or-code');
  const off = await factor(me, { action: 'off', password: PASSWORD, otp: totp(uri, 1) });
  assert.equal(off.status, 200, off.text);
  assert.deepEqual((await factor(me)).body, { enabled: false, pending: false });
  assert.equal((await signIn(me)).status, 200, 'the password alone again');
  assert.equal((await factor(me, { action: 'off', password: PASSWORD, otp: totp(uri) })).status, 404);
  assert.equal((await factor(me, { action: 'sideways' })).status, 422);

  // A lost phone: the operator removes it after checking who asks.
  const lost = await signupAndLogin(srv);
  await turnOn(lost);
  assert.equal((await signIn(lost)).status, 401);
  const reset = phr(['account', 'second-factor-off', '--data', srv.data, '--login', lost.login, '--log-level', 'warn']);
  assert.equal(reset.status, 0, reset.stderr);
  assert.equal((await signIn(lost)).status, 200);
  assert.match(sql(srv.data, `SELECT actor || ' ' || records FROM audit WHERE action = 'account.second-factor' AND subject = '${lost.personId}' ORDER BY seq DESC LIMIT 1`), /^system:operator reset$/);
  const unknown = phr(['account', 'second-factor-off', '--data', srv.data, '--login', 'nobody@example.jp', '--log-level', 'warn']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no person has the login/);
});

test('R2.4 each recovery code signs in once in place of a code, and turns the factor off with the password; they are stored as hashes only', async () => {
  const me = await signupAndLogin(srv);
  await turnOn(me);
  assert.equal(me.recoveryCodes.length, 10);
  assert.ok(me.recoveryCodes.every((c) => /^[0-9a-f]{16}$/.test(c)) && new Set(me.recoveryCodes).size === 10);
  const stored = sql(srv.data, `SELECT group_concat(hex(code_hash)) FROM second_factor_codes WHERE person_id = '${me.personId}'`).toLowerCase();
  assert.ok(me.recoveryCodes.every((c) => !stored.includes(Buffer.from(c).toString('hex')) && !stored.includes(c)), 'hashes only');
  const [first, second] = me.recoveryCodes;
  assert.equal((await signIn(me, null, first)).status, 200, 'a recovery code stands in for the code');
  const again = await signIn(me, null, first);
  assert.equal(again.status, 401);
  assert.match(again.body.detail, /the login, the password or the code is wrong/);
  assert.equal((await signIn(me, null, 'not-a-code-at-all')).status, 401);
  sql(srv.data, 'DELETE FROM login_throttle');
  const offRefused = await factor(me, { action: 'off', password: PASSWORD, recovery_code: first });
  assert.equal(offRefused.status, 403, 'a used code turns nothing off');
  assert.deepEqual((await factor(me)).body, { enabled: true, pending: false });
  const off = await factor(me, { action: 'off', password: PASSWORD, recovery_code: second });
  assert.equal(off.status, 200, off.text);
  assert.equal(sql(srv.data, `SELECT count(*) FROM second_factor_codes WHERE person_id = '${me.personId}'`), '0', 'the codes go with the factor');
  assert.equal((await signIn(me)).status, 200);
});

test('R2.4 R2.9 nobody else reaches a person\'s second factor', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await call(srv, 'GET', '/api/v1/me/second-factor')).status, 401);
  assert.equal((await call(srv, 'POST', '/api/v1/me/second-factor', { body: { action: 'begin' } })).status, 401);
  assert.equal((await call(srv, 'PUT', '/api/v1/me/second-factor', { token: me.token, body: {} })).status, 405);
  assert.equal(sql(srv.data, `SELECT count(*) FROM second_factors WHERE person_id = '${me.personId}'`), '0');
});
