// Killed under load (issue 17 item 8, design invariant 2): kill -9 while
// eight clients create records as fast as they can, three times over the
// same store; after each restart every record that was acknowledged (201)
// is there, and the handling history verifies end to end, the tail the
// crash left unsigned signed at start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, signupAndLogin, bloodPressure, phr, PASSWORD } from './helpers.mjs';

test('R2.3 a 2xx survives kill -9 under load; the chain verifies after each restart', async () => {
  let srv = await startServer();
  const me = await signupAndLogin(srv);
  const acknowledged = [];
  for (let round = 0; round < 3; round++) {
    const token = (await call(srv, 'POST', '/api/v1/login', { body: { login: me.login, password: PASSWORD } })).body.token;
    let killed = false;
    const client = async () => {
      while (!killed) {
        let r;
        try {
          r = await call(srv, 'POST', '/fhir/Observation', { token, body: bloodPressure(110 + (acknowledged.length % 60), 70) });
        } catch {
          return; // the server is gone
        }
        if (r.status === 201) acknowledged.push(r.body.id);
        else assert.ok(killed || r.status === 503, `unexpected ${r.status}: ${r.text}`);
      }
    };
    const before = acknowledged.length;
    const failures = [];
    const clients = Array.from({ length: 8 }, () => client().catch((e) => failures.push(e)));
    while (acknowledged.length < before + 150 && !failures.length) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(failures, []);
    killed = true;
    const gone = srv.kill();
    await Promise.all(clients);
    await gone;
    srv = await startServer({ data: srv.data });
    // Before anything new is written: the start-up checkpoint signed it all.
    const v = phr(['audit', 'verify', '--data', srv.data, '--records']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /0 entries after it not yet signed/);
    const login = await call(srv, 'POST', '/api/v1/login', { body: { login: me.login, password: PASSWORD } });
    // This round's (earlier rounds' were read after theirs; reading all
    // again would run into the account's rate limit).
    for (const id of acknowledged.slice(before)) {
      const r = await call(srv, 'GET', `/fhir/Observation/${id}`, { token: login.body.token });
      assert.equal(r.status, 200, `round ${round}: acknowledged ${id} is gone`);
    }
  }
  assert.ok(acknowledged.length >= 450);
  // And every one of them, once more, from the same store.
  const last = await call(srv, 'POST', '/api/v1/login', { body: { login: me.login, password: PASSWORD } });
  const all = await call(srv, 'GET', `/fhir/Observation?_count=500&_total=accurate`, { token: last.body.token });
  // (A write in flight at the kill may have committed unanswered: never fewer.)
  assert.ok(all.body.total >= acknowledged.length, `${all.body.total} of ${acknowledged.length}`);
  await srv.stop();
});
