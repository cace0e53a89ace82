// Transport hardening (R2.9): TLS served by libmicrohttpd when a certificate
// is given (HSTS, Secure cookies, https links), a TLS key readable by others
// refused, and a cap on connections from one address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, newDataDir, phr, uniqueLogin, PASSWORD, signupAndLogin, sql } from './helpers.mjs';

function selfSigned() {
  const dir = mkdtempSync(join(tmpdir(), 'phr-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  chmodSync(key, 0o600);
  return { dir, cert, key };
}

// HTTPS with the test's own self-signed certificate.
function https(url, { method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, rejectUnauthorized: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

test('R2.9 with a certificate phr serves HTTPS itself: HSTS, Secure cookies, https links', async () => {
  const tls = selfSigned();
  const srv = await startServer({ args: ['--tls-cert', tls.cert, '--tls-key', tls.key] });
  const base = srv.url.replace('http:', 'https:');
  const h = await https(`${base}/api/v1/health`);
  assert.equal(h.status, 200);
  assert.equal(h.headers['strict-transport-security'], 'max-age=31536000');
  const login = uniqueLogin();
  assert.equal((await https(`${base}/api/v1/signup`, { method: 'POST', body: { login, password: PASSWORD } })).status, 201);
  const l = await https(`${base}/api/v1/login`, { method: 'POST', body: { login, password: PASSWORD } });
  assert.equal(l.status, 200);
  assert.match(l.headers['set-cookie'][0], /; Secure/);
  const meta = JSON.parse((await https(`${base}/fhir/metadata`)).text);
  assert.match(meta.implementation.url, /^https:\/\//);
  await assert.rejects(fetch(`${srv.url}/api/v1/health`), 'plain HTTP is not served on a TLS port');
  await srv.stop();
  rmSync(tls.dir, { recursive: true, force: true });
});

test('R2.9 a TLS key readable by others, or half a TLS configuration, is refused', () => {
  const tls = selfSigned();
  const { root, data } = newDataDir();
  chmodSync(tls.key, 0o644);
  const open = phr(['serve', '--data', data, '--listen', '127.0.0.1:1', '--tls-cert', tls.cert, '--tls-key', tls.key]);
  assert.equal(open.status, 1);
  assert.match(open.stderr, /readable by others/);
  const half = phr(['serve', '--data', data, '--listen', '127.0.0.1:1', '--tls-cert', tls.cert]);
  assert.equal(half.status, 1);
  assert.match(half.stderr, /go together/);
  rmSync(tls.dir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

test('R2.9 one client address cannot hold more than its share of connections', async () => {
  const srv = await startServer({ args: ['--per-ip-connections', '2'] });
  const port = Number(new URL(srv.url).port);
  const hold = await Promise.all([0, 1].map(() => new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  })));
  await new Promise((r) => setTimeout(r, 200));
  await assert.rejects(fetch(`${srv.url}/api/v1/health`), 'a third connection is refused');
  for (const s of hold) s.destroy();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await call(srv, 'GET', '/api/v1/health')).status, 200, 'and accepted again once they close');
  await srv.stop();
});

test('R2.9 request rates are limited per client address and per account, with Retry-After', async () => {
  // The windows are whole minutes: start just after one begins, so that
  // the test never straddles two.
  const intoMinute = Date.now() % 60000;
  if (intoMinute > 50000) await new Promise((r) => setTimeout(r, 60500 - intoMinute));
  const srv = await startServer({ args: ['--rate-per-address', '40', '--rate-per-account', '5'] });
  const me = await signupAndLogin(srv); // its consent decision is the account's first request
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await call(srv, 'GET', '/fhir/Observation', { token: me.token })).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429], 'the account: 5 a minute');
  const limited = await call(srv, 'GET', '/fhir/Observation', { token: me.token });
  assert.equal(limited.body.resourceType, 'OperationOutcome');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  let status = 200;
  for (let i = 0; i < 40 && status !== 429; i++) status = (await call(srv, 'GET', '/api/v1/health')).status;
  assert.equal(status, 429, 'the address: 40 a minute');
  await srv.stop();
});

test('R2.9 the request counts are shared through the store: two instances on one store share one limit', async () => {
  const intoMinute = Date.now() % 60000;
  if (intoMinute > 45000) await new Promise((r) => setTimeout(r, 60500 - intoMinute));
  const args = ['--rate-per-address', '30', '--rate-per-account', '0'];
  const a = await startServer({ args });
  const b = await startServer({ data: a.data, args });
  for (let i = 0; i < 20; i++) assert.equal((await call(a, 'GET', '/api/v1/health')).status, 200);
  await new Promise((r) => setTimeout(r, 2500)); // a's counts reach the store
  const statuses = [];
  for (let i = 0; i < 15; i++) statuses.push((await call(b, 'GET', '/api/v1/health')).status);
  const ok = statuses.filter((s) => s === 200).length;
  assert.ok(ok <= 11 && ok >= 9, `b allowed ${ok} of 15 after a used 20 of 30: ${statuses}`);
  assert.equal(statuses.at(-1), 429);
  const stored = Number(sql(a.data, "SELECT sum(count) FROM rate_counts WHERE key LIKE 'address:%'"));
  assert.ok(stored >= 20, `${stored} counted in the store`);
  await b.stop();
  await a.stop();
});
