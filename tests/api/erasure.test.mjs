// Erasure on request (R3.10): two steps, by scope or the whole account;
// crypto-shredding checked on a copy of the store taken before; a crash at
// each step finishes on restart, never leaving a half-erased person.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, call, create, signupAndLogin, bloodPressure, quantity, sql, totp, PASSWORD, uniqueLogin,
  backupStore, copyKeyStore, storeFiles,
} from './helpers.mjs';


const ask = (srv, me, body) => call(srv, 'POST', '/api/v1/me/erasures', { token: me.token, body });
const confirm = (srv, me, id, password = PASSWORD) =>
  call(srv, 'POST', `/api/v1/me/erasures/${id}/confirm`, { token: me.token, body: { password } });

test('R3.10 erasure by data kind: the preview lists exactly what goes, a wrong password erases nothing, the rest stays', async () => {
  const srv = await startServer();
  try {
    const me = await signupAndLogin(srv);
    const bp = await create(srv, me, bloodPressure(128, 82));
    const upd = await call(srv, 'PUT', `/fhir/Observation/${bp}`, {
      token: me.token, body: { ...bloodPressure(126, 80), id: bp }, headers: { 'if-match': 'W/"1"' },
    });
    assert.equal(upd.status, 200, upd.text);
    const weight = await create(srv, me, quantity('29463-7', 61.5, 'kg'));

    const bad = await ask(srv, me, { scope: 'records', codes: ['85354-9', 'bad code!'] });
    assert.equal(bad.status, 422);
    assert.equal((await ask(srv, me, { scope: 'everything' })).status, 422);
    assert.equal((await ask(srv, me, { scope: 'account', codes: ['x'] })).status, 422);
    assert.equal(sql(srv.data, 'SELECT count(*) FROM erasures'), '0', 'a refused request records nothing');

    const p = await ask(srv, me, { scope: 'records', codes: ['85354-9'] });
    assert.equal(p.status, 201, p.text);
    assert.equal(p.body.status, 'requested');
    assert.deepEqual(p.body.codes, ['85354-9']);
    assert.equal(p.body.will_erase.records, 1);
    assert.equal(p.body.will_erase.versions, 2);
    assert.equal(p.body.will_erase.account, false);
    assert.match(p.body.warning.ja, /元に戻せません/);
    assert.match(p.body.warning.en, /cannot be restored/);
    assert.equal(p.body.export_first, '/api/v1/me/disclosure');
    assert.ok(p.body.will_keep.audit_entries > 0);

    const wrong = await confirm(srv, me, p.body.id, 'not the password at all');
    assert.equal(wrong.status, 403);
    assert.equal((await call(srv, 'GET', `/fhir/Observation/${bp}`, { token: me.token })).status, 200);
    assert.equal(sql(srv.data, `SELECT count(*) FROM audit WHERE action = 'erasure.execute' AND result = 'deny'`), '1');

    const other = await signupAndLogin(srv);
    assert.equal((await confirm(srv, other, p.body.id)).status, 404, "another person's request is not theirs to confirm");
    assert.equal(sql(srv.data, `SELECT reason FROM audit WHERE actor = 'person:${other.personId}' AND action = 'erasure.execute'`),
      'not-own', 'and the attempt is on the record, under whose request it is');

    const ok = await confirm(srv, me, p.body.id);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.status, 'done');
    assert.equal(ok.body.erased.versions, 2);
    assert.equal((await call(srv, 'GET', `/fhir/Observation/${bp}`, { token: me.token })).status, 404);
    assert.equal((await call(srv, 'GET', `/fhir/Observation/${bp}/_history/1`, { token: me.token })).status, 404);
    assert.equal((await call(srv, 'GET', `/fhir/Observation/${weight}`, { token: me.token })).status, 200);
    assert.equal(sql(srv.data, `SELECT count(*) FROM records WHERE id = '${bp}'`), '0', 'every version is gone');
    assert.equal((await confirm(srv, me, p.body.id)).status, 409, 'done once');

    const late = await ask(srv, me, { scope: 'records' });
    sql(srv.data, `UPDATE erasures SET expires_at = 0 WHERE id = '${late.body.id}'`);
    assert.equal((await confirm(srv, me, late.body.id)).status, 410);
    assert.equal((await call(srv, 'GET', `/fhir/Observation/${weight}`, { token: me.token })).status, 200);
    assert.equal(sql(srv.data, `SELECT action || ':' || result FROM audit WHERE subject = '${me.personId}'`
      + ` AND action LIKE 'erasure.%' ORDER BY seq`).split('\n').join(' '),
    'erasure.request:allow erasure.execute:deny erasure.execute:deny erasure.execute:allow erasure.request:allow');
  } finally {
    await srv.stop();
  }
});

// No image of the wrapped key left where the key store keeps its data.
function keyGone(data, wrapped) {
  for (const f of storeFiles(data, { keys: true })) {
    assert.equal(readFileSync(f).indexOf(wrapped), -1, `no copy of the wrapped key is left in ${f}`);
  }
}

test('R3.10 account erasure: a copy of the store taken before, opened with the live keys, yields nothing of the person', async () => {
  const srv = await startServer();
  const copy = join(srv.data, '..', 'before');
  try {
    const me = await signupAndLogin(srv);
    const keep = await signupAndLogin(srv);
    const id = await create(srv, me, bloodPressure(141, 93));
    const theirs = await create(srv, keep, bloodPressure(118, 76));
    const factor = (body) => call(srv, 'POST', '/api/v1/me/second-factor', { token: me.token, body });
    const begun = await factor({ action: 'begin' });
    assert.equal((await factor({ action: 'confirm', otp: totp(begun.body.totp_uri) })).status, 200, 'a second factor, erased too');
    backupStore(srv.data, copy);
    const wrapped = Buffer.from(sql(srv.data, `SELECT hex(wrapped) FROM data_keys WHERE person_id = '${me.personId}'`, 'keys.db'), 'hex');
    assert.equal(wrapped.length, 72);

    const p = await ask(srv, me, { scope: 'account' });
    assert.equal(p.status, 201, p.text);
    assert.equal(p.body.will_erase.account, true);
    assert.equal(p.body.will_erase.data_key, true);
    assert.equal(p.body.will_erase.records, 1);
    assert.ok(p.body.will_erase.consents >= 1);
    const ok = await confirm(srv, me, p.body.id);
    assert.equal(ok.status, 200, ok.text);

    assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token })).status, 401, 'sessions ended');
    const login = await call(srv, 'POST', '/api/v1/login', { body: { login: me.login, password: PASSWORD } });
    assert.equal(login.status, 401);
    assert.equal(sql(srv.data, `SELECT count(*) FROM data_keys WHERE person_id = '${me.personId}'`, 'keys.db'), '0');
    keyGone(srv.data, wrapped);
    assert.equal(sql(srv.data, `SELECT login || '|' || pw_hash || '|' || status FROM persons WHERE id = '${me.personId}'`),
      `erased:${me.personId}||erased`);
    for (const t of ['records', 'consents', 'consent_state', 'sessions', 'suspensions', 'second_factors', 'second_factor_codes', 'demographics']) {
      assert.equal(sql(srv.data, `SELECT count(*) FROM ${t} WHERE person_id = '${me.personId}'`), '0', t);
    }
    assert.ok(Number(sql(srv.data, `SELECT count(*) FROM audit WHERE subject = '${me.personId}'`)) > 0, 'the handling history stays');
    assert.equal(sql(srv.data, `SELECT status || ' ' || scope FROM erasures WHERE id = '${p.body.id}'`), 'done account');
    assert.equal((await call(srv, 'GET', `/fhir/Observation/${theirs}`, { token: keep.token })).status, 200);

    // The copy taken before, with the live key store: the person's rows
    // are there, sealed, and nothing opens them.
    copyKeyStore(srv.data, copy);
    assert.equal(sql(copy, `SELECT count(*) FROM records WHERE person_id = '${me.personId}'`), '1');
    const old = await startServer({ data: copy });
    try {
      const again = await call(old, 'POST', '/api/v1/login', { body: { login: me.login, password: PASSWORD } });
      assert.equal(again.status, 401, 'the old password no longer opens anything');
      const other = await call(old, 'POST', '/api/v1/login', { body: { login: keep.login, password: PASSWORD } });
      assert.equal(other.status, 200, 'everyone else is intact in the copy: ' + other.text + old.logs.slice(-5).join('\n'));
      const r = await call(old, 'GET', `/fhir/Observation/${theirs}`, { token: other.body.token });
      assert.equal(r.status, 200);
    } finally {
      await old.stop();
    }
  } finally {
    await srv.stop();
    rmSync(copy, { recursive: true, force: true });
  }
});

for (const step of ['erasure.rows', 'erasure.key']) {
  test(`R3.10 a crash right after ${step} is finished on restart: never a half-erased person`, async () => {
    const srv = await startServer({ env: { PHR_TEST_CRASH_AFTER: step } });
    const me = await signupAndLogin(srv, uniqueLogin('crash'));
    await create(srv, me, bloodPressure(150, 95));
    const wrapped = Buffer.from(sql(srv.data, `SELECT hex(wrapped) FROM data_keys WHERE person_id = '${me.personId}'`, 'keys.db'), 'hex');
    const p = await ask(srv, me, { scope: 'account' });
    assert.equal(p.status, 201, p.text);
    const exited = srv.exit();
    await assert.rejects(confirm(srv, me, p.body.id), 'the process dies before it answers');
    assert.equal(await exited, 86);
    assert.equal(sql(srv.data, `SELECT status FROM erasures WHERE id = '${p.body.id}'`), 'erasing');
    assert.equal(sql(srv.data, `SELECT count(*) FROM records WHERE person_id = '${me.personId}'`), '0',
      'the rows went in one commit');

    const again = await startServer({ data: srv.data });
    try {
      assert.ok(again.logs.some((l) => l.includes('"erasure.resume"')));
      assert.equal(sql(srv.data, `SELECT status FROM erasures WHERE id = '${p.body.id}'`), 'done');
      assert.equal(sql(srv.data, `SELECT count(*) FROM data_keys WHERE person_id = '${me.personId}'`, 'keys.db'), '0');
    keyGone(srv.data, wrapped);
      const login = await call(again, 'POST', '/api/v1/login', { body: { login: me.login, password: PASSWORD } });
      assert.equal(login.status, 401);
    } finally {
      await again.stop();
      rmSync(join(srv.data, '..'), { recursive: true, force: true });
    }
  });
}

test('R3.10 a key store restored from a backup forgets erased persons again at start-up', async () => {
  const srv = await startServer();
  const saved = join(srv.data, '..', 'keys-backup');
  const me = await signupAndLogin(srv);
  const wrapped = Buffer.from(sql(srv.data, `SELECT hex(wrapped) FROM data_keys WHERE person_id = '${me.personId}'`, 'keys.db'), 'hex');
  backupStore(srv.data, saved);
  copyKeyStore(srv.data, saved);
  const p = await ask(srv, me, { scope: 'account' });
  assert.equal((await confirm(srv, me, p.body.id)).status, 200);
  await srv.stop({ keep: true });
  copyKeyStore(saved, srv.data);
  assert.equal(sql(srv.data, `SELECT count(*) FROM data_keys WHERE person_id = '${me.personId}'`, 'keys.db'), '1');
  const again = await startServer({ data: srv.data });
  try {
    assert.equal(sql(srv.data, `SELECT count(*) FROM data_keys WHERE person_id = '${me.personId}'`, 'keys.db'), '0');
    keyGone(srv.data, wrapped);
    assert.ok(again.logs.some((l) => l.includes('"erasure.keys_forgotten"')));
  } finally {
    await again.stop();
    rmSync(join(srv.data, '..'), { recursive: true, force: true });
  }
});
