// Nothing waits for a commit on an HTTP thread (issue 17 item 3): with one
// HTTP thread and the store's write lock held from outside, an import, an
// erasure request and audit verification all wait for the writer — and the
// one thread still answers everyone else meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, call, signupAndLogin, holdWriter } from './helpers.mjs';

const CDA = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');

test('with one HTTP thread and the writer held up, an import waits suspended while the thread answers others', async () => {
  const srv = await startServer({ args: ['--threads', '1'] });
  const me = await signupAndLogin(srv);
  // Another process takes the store's write lock and keeps it until told.
  const lock = await holdWriter(srv.data);
  const order = [];
  const pending = [
    call(srv, 'POST', '/api/v1/imports', { token: me.token, body: CDA, headers: { 'content-type': 'application/xml' } })
      .then((r) => { order.push(`import ${r.status}`); }),
    call(srv, 'POST', '/api/v1/me/erasures', { token: me.token, body: { scope: 'records', codes: ['85354-9'] } })
      .then((r) => { order.push(`erasure ${r.status}`); }),
  ];
  await new Promise((resolve) => setTimeout(resolve, 300)); // both reach the writer and wait there
  const health = await call(srv, 'GET', '/api/v1/health');
  order.push(`health ${health.status}`);
  const released = lock.release();
  await Promise.all(pending);
  await released;
  assert.equal(order[0], 'health 200', `the one thread answered while the writer was held up: ${order.join(', ')}`);
  assert.deepEqual(order.slice(1).sort(), ['erasure 201', 'import 201']);
  await srv.stop();
});
