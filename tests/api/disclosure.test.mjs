// Disclosure (R3.8): everything held about the person as one JSON archive,
// manifest first, streamed; one consistent snapshot even while the person
// is being erased.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, create, signupAndLogin, bloodPressure, quantity, sql, PASSWORD } from './helpers.mjs';


test('R3.8 the disclosure archive holds the account, every record version with provenance and original, consents, provisions and accesses', async () => {
  const srv = await startServer();
  try {
    const me = await signupAndLogin(srv);
    const bp = await create(srv, me, bloodPressure(128, 82));
    const upd = await call(srv, 'PUT', `/fhir/Observation/${bp}`, {
      token: me.token, body: { ...bloodPressure(126, 80), id: bp }, headers: { 'if-match': 'W/"1"' },
    });
    assert.equal(upd.status, 200, upd.text);
    await create(srv, me, quantity('29463-7', 61.5, 'kg'));
    const other = await signupAndLogin(srv);
    await create(srv, other, quantity('29463-7', 80.2, 'kg'));

    const r = await call(srv, 'GET', '/api/v1/me/disclosure', { token: me.token });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-disposition'), /attachment; filename="phr-disclosure.json"/);
    assert.ok(r.text.startsWith('{"manifest":'), 'the manifest comes first');
    const d = r.body;
    assert.equal(d.manifest.format, 'phr-disclosure/1');
    assert.equal(d.manifest.person, me.personId);
    assert.deepEqual(d.manifest.parts, ['account', 'records', 'demographics', 'demographics_earlier', 'consents', 'provisions', 'accesses', 'summary']);
    assert.match(d.manifest.note.ja, /保有するすべての情報/);
    assert.equal(d.account.login, me.login);
    assert.equal(d.records.length, 3, 'both versions of the blood pressure and the weight; nobody else’s');
    const v1 = d.records.find((x) => x.id === bp && x.version === 1);
    assert.equal(v1.current, false);
    assert.equal(v1.resource.component[0].valueQuantity.value, 128);
    assert.equal(v1.provenance.recorded_by, `person:${me.personId}`);
    assert.ok(v1.provenance.recorded_at && v1.provenance.channel && v1.provenance.source);
    const original = JSON.parse(Buffer.from(v1.original_base64, 'base64').toString('utf8'));
    assert.equal(original.component[0].valueQuantity.value, 128, 'the original exactly as submitted');
    assert.ok(d.records.every((x) => !JSON.stringify(x).includes('80.2')));
    assert.ok(d.consents.history.some((h) => h.purpose === 'service' && h.decision === 'grant'));
    assert.deepEqual(d.provisions.provisions, []);
    assert.deepEqual(d.accesses.map((a) => a.subtype[0].code), ['account.signup'],
      'nobody but the person touched the data; the sign-up came before there was a session');
    assert.deepEqual(d.summary, { records: 3, accesses: 1, complete: true, unreadable: [] });
    assert.equal(sql(srv.data, `SELECT count(*) FROM audit WHERE action = 'disclosure.read' AND subject = '${me.personId}' AND result = 'allow'`), '1');

    assert.equal((await call(srv, 'GET', '/api/v1/me/disclosure')).status, 401);
    assert.equal((await call(srv, 'POST', '/api/v1/me/disclosure', { token: me.token, body: {} })).status, 405);
  } finally {
    await srv.stop();
  }
});

test('R3.8 R3.10 a long history streams in pages, and an erasure during the download leaves the archive whole and consistent', async () => {
  const srv = await startServer();
  try {
    const me = await signupAndLogin(srv);
    const n = 260;
    for (let i = 0; i < n; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) =>
        create(srv, me, bloodPressure(100 + ((i + j) % 60), 70, `2026-10-${String(1 + ((i + j) % 28)).padStart(2, '0')}T07:00:00+09:00`))));
    }
    const res = await fetch(`${srv.url}/api/v1/me/disclosure`, { headers: { authorization: `Bearer ${me.token}` } });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const chunks = [];
    const first = await reader.read();
    chunks.push(Buffer.from(first.value));

    const p = await call(srv, 'POST', '/api/v1/me/erasures', { token: me.token, body: { scope: 'account' } });
    assert.equal(p.status, 201, p.text);
    const ok = await call(srv, 'POST', `/api/v1/me/erasures/${p.body.id}/confirm`, { token: me.token, body: { password: PASSWORD } });
    assert.equal(ok.status, 200, ok.text);

    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
    }
    const d = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    assert.equal(d.records.length, n, 'the snapshot taken at the start, whole');
    assert.deepEqual(d.summary, { records: n, accesses: 1, complete: true, unreadable: [] });
    assert.equal(sql(srv.data, `SELECT count(*) FROM records WHERE person_id = '${me.personId}'`), '0', 'and the erasure is done');
    const after = await call(srv, 'GET', '/api/v1/me/disclosure', { token: me.token });
    assert.equal(after.status, 401, 'the erased person has no session left');
  } finally {
    await srv.stop();
  }
});
