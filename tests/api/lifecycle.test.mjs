// The binary's life: init, refusals at start-up, graceful shutdown that
// finishes requests in flight, durability across restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, bloodPressure, newDataDir, freshData, setSchemaVersion, sql, phr } from './helpers.mjs';

test('phr --version and help explain themselves', () => {
  assert.match(phr(['--version']).stdout, /^phr \d+\.\d+\.\d+/);
  const help = phr(['help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /serve/);
  const serveHelp = phr(['serve', '--help']);
  assert.match(serveHelp.stdout, /--listen/);
  assert.match(serveHelp.stdout, /PHR_LISTEN/);
  assert.equal(phr(['frobnicate']).status, 2);
  assert.equal(phr(['serve', '--no-such-flag']).status, 2);
});

test('R2.5 R2.1 init creates a 0600 key, refuses to overwrite one, and can make the first asset manager', () => {
  const root = mkdtempSync(join(tmpdir(), 'phr-init-'));
  const data = freshData(join(root, 'data'));
  assert.equal(phr(['init', '--data', data]).status, 0);
  const again = phr(['init', '--data', data]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /refusing/);
  const withManager = freshData(join(root, 'managed'));
  const m = phr(['init', '--data', withManager, '--login', 'boss@provider.example.jp', '--log-level', 'warn']);
  assert.equal(m.status, 0, m.stderr);
  const first = JSON.parse(m.stdout.trim().split('\n').at(-1));
  assert.equal(first.role, 'asset-manager');
  assert.match(first.totp_uri, /^otpauth:/);
  const keyOnly = freshData(join(root, 'other'));
  assert.equal(phr(['init', '--data', keyOnly, '--key', join(data, 'master.key')]).status, 1);
  rmSync(root, { recursive: true, force: true });
});

test('R2.5 serve refuses a master key readable by others, and a missing store', () => {
  const { root, data } = newDataDir();
  chmodSync(join(data, 'master.key'), 0o644);
  const r = phr(['serve', '--data', data, '--listen', '127.0.0.1:1']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /readable by others/);
  const missing = phr(['serve', '--data', join(root, 'nowhere')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /phr init/);
  rmSync(root, { recursive: true, force: true });
});

test('a store written by a newer phr is refused', () => {
  const { root, data } = newDataDir();
  setSchemaVersion(data, 999);
  const r = phr(['serve', '--data', data]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /newer phr/);
  rmSync(root, { recursive: true, force: true });
});

test('SIGTERM finishes requests in flight; every acknowledged record survives a restart', async () => {
  const srv = await startServer();
  const me = await signupAndLogin(srv);
  const acknowledged = [];
  const answeredAfterSignal = [];
  let signalled = false;
  let ok = 0;
  let stopping;
  // Eight clients post without pause; after ten successes the server is
  // told to stop while the clients keep going.
  const client = async () => {
    for (;;) {
      const sentBeforeSignal = !signalled;
      let r;
      try {
        r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(120, 80) });
      } catch {
        return; // the listener is closed: the server is going away
      }
      assert.ok([201, 503].includes(r.status), `unexpected ${r.status}: ${r.text}`);
      if (r.status === 201) acknowledged.push(r.body.id);
      if (sentBeforeSignal && signalled) answeredAfterSignal.push(r.status);
      if (r.status === 503) return;
      if (++ok === 10 && !signalled) {
        signalled = true;
        stopping = srv.stop({ keep: true });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, client));
  await stopping; // asserts a clean exit (no abort, no leak)
  assert.ok(answeredAfterSignal.length > 0, 'requests in flight at SIGTERM were answered');
  const again = await startServer({ data: srv.data });
  const login = await call(again, 'POST', '/api/v1/login', { body: { login: me.login, password: 'a long enough passphrase' } });
  for (const id of acknowledged) {
    const r = await call(again, 'GET', `/fhir/Observation/${id}`, { token: login.body.token });
    assert.equal(r.status, 200, `acknowledged record ${id} is missing after restart`);
  }
  await again.stop();
  assert.equal(phr(['audit', 'verify', '--data', srv.data]).status, 0);
});

test('demo data loads once and the demo person can sign in', async () => {
  const srv = await startServer({ args: ['--demo'] });
  const r = await call(srv, 'POST', '/api/v1/login', { body: { login: 'demo@example.jp', password: 'phr-demo-2026' } });
  assert.equal(r.status, 200);
  const all = await call(srv, 'GET', '/fhir/Observation?_count=0', { token: r.body.token });
  assert.ok(all.body.total >= 400);
  const bp = await call(srv, 'GET', '/fhir/Observation?code=85354-9&_count=1', { token: r.body.token });
  assert.equal(bp.body.entry[0].resource.code.coding[0].code, '85354-9');
  await srv.stop({ keep: true });
  const again = await startServer({ data: srv.data, args: ['--demo'] });
  const r2 = await call(again, 'POST', '/api/v1/login', { body: { login: 'demo@example.jp', password: 'phr-demo-2026' } });
  const all2 = await call(again, 'GET', '/fhir/Observation?_count=0', { token: r2.body.token });
  assert.equal(all2.body.total, all.body.total);
  await again.stop();
});

test('SIGTERM stops promptly after clients vanished while their requests waited on the writer', async () => {
  const { connect } = await import('node:net');
  const srv = await startServer();
  const me = await signupAndLogin(srv);
  const body = JSON.stringify(bloodPressure(118, 76));
  const port = Number(new URL(srv.url).port);
  // Each client sends a whole request and hangs up at once, so the answer
  // finds no one when the writer has committed.
  await Promise.all(Array.from({ length: 40 }, () => new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.end(`POST /fhir/Observation HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${me.token}\r\n` +
        `Content-Type: application/fhir+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      s.destroy();
      resolve();
    });
    s.on('error', resolve);
  })));
  await new Promise((r) => setTimeout(r, 500));
  const gone = srv.logs.filter((l) => l.includes('"status":499')).length;
  // Without the fix the server waits for ever ("http.stop" every 10 s).
  let timer;
  const hung = new Promise((_, reject) => {
    timer = setTimeout(() => {
      srv.kill();
      reject(new Error(`stop hung on vanished clients (${gone} left early)`));
    }, 25000);
  });
  await Promise.race([srv.stop(), hung]).finally(() => clearTimeout(timer));
  assert.ok(!srv.logs.some((l) => l.includes('waiting_for_requests')), 'stop waited on vanished clients');
});
