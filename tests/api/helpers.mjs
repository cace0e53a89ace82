// Starts the real phr binary on a temporary data directory and speaks HTTP
// to it. The binary is the sanitizer build (PHR_BIN, set by scripts/test.sh).
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const BIN = process.env.PHR_BIN || new URL('../../build-asan/phr', import.meta.url).pathname;

export const MANIFEST = new URL('../../policies/policy.json', import.meta.url).pathname;

// A fresh store with the shipped demo policies published, unless
// { publish: false }.
export function newDataDir({ publish = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'phr-api-'));
  execFileSync(BIN, ['init', '--data', join(dir, 'data')], { stdio: 'pipe' });
  if (publish) execFileSync(BIN, ['policy', 'publish', '--data', join(dir, 'data'), '--manifest', MANIFEST], { stdio: 'pipe' });
  return { root: dir, data: join(dir, 'data') };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startServer({ env = {}, data, args = [], publish = true } = {}) {
  const dirs = data ? { root: null, data } : newDataDir({ publish });
  const port = await freePort();
  const proc = spawn(BIN, ['serve', '--data', dirs.data, '--listen', `127.0.0.1:${port}`, ...args], {
    env: { ...process.env, PHR_LOGIN_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs = [];
  // Every server's log, kept for the sweep after the suites
  // (tests/logs_clean.mjs): no health value, name, reason or secret in it.
  const logFile = process.env.PHR_TEST_LOGS ? join(process.env.PHR_TEST_LOGS, `${process.pid}-${port}.log`) : null;
  let buffered = '';
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + logs.join('\n'))), 60000);
    proc.stderr.on('data', (chunk) => {
      if (logFile) appendFileSync(logFile, chunk);
      buffered += chunk;
      let i;
      while ((i = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        logs.push(line);
        if (line.includes('"serve.ready"')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    exited.then(({ code }) => reject(new Error(`server exited (${code}) before ready:\n${logs.join('\n')}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    data: dirs.data,
    logs,
    proc,
    // Stops with SIGTERM and asserts a clean exit: under ASan a leak or an
    // error at shutdown makes the exit status non-zero.
    async stop({ keep = false } = {}) {
      proc.kill('SIGTERM');
      const { code, signal } = await exited;
      assert.equal(signal, null, `server died by ${signal}:\n${logs.slice(-30).join('\n')}`);
      assert.equal(code, 0, `server exit status ${code}:\n${logs.slice(-30).join('\n')}`);
      if (!keep && dirs.root) rmSync(dirs.root, { recursive: true, force: true });
    },
  };
}

export async function call(srv, method, path, { token, body, json = true, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload = body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) payload = JSON.stringify(body);
  if (payload !== undefined && !h['content-type']) h['content-type'] = path.startsWith('/fhir') ? 'application/fhir+json' : 'application/json';
  const res = await fetch(srv.url + path, { method, headers: h, body: payload });
  const text = await res.text();
  let data = null;
  if (json && text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  return { status: res.status, headers: res.headers, text, body: data };
}

let counter = 0;
export function uniqueLogin(prefix = 'user') {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}@example.jp`;
}

export const PASSWORD = 'a long enough passphrase';

// The hashes of the texts in force, as a client shows them before asking.
export async function shownHashes(srv) {
  const p = await call(srv, 'GET', '/api/v1/policies');
  assert.equal(p.status, 200, p.text);
  return p.body.documents.map((d) => d.sha256);
}

export async function decide(srv, token, decisions, shown) {
  return call(srv, 'POST', '/api/v1/me/consents', {
    token, body: { decisions, shown: shown ?? await shownHashes(srv) },
  });
}

// Signs up and logs in; unless { consent: false }, grants the required
// purposes as a person does after reading the summary.
export async function signupAndLogin(srv, login = uniqueLogin(), { consent = true } = {}) {
  const s = await call(srv, 'POST', '/api/v1/signup', { body: { login, password: PASSWORD } });
  assert.equal(s.status, 201, s.text);
  const l = await call(srv, 'POST', '/api/v1/login', { body: { login, password: PASSWORD } });
  assert.equal(l.status, 200, l.text);
  const me = { login, token: l.body.token, personId: l.body.person_id };
  if (consent) {
    const c = await decide(srv, me.token, [{ purpose: 'service', decision: 'grant' }]);
    assert.equal(c.status, 201, c.text);
  }
  return me;
}

// Records an Observation for the person; returns its id.
export async function create(srv, me, resource) {
  const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: resource });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

export function bloodPressure(sys, dia, when = '2026-11-01T07:30:00+09:00', extra = {}) {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
    effectiveDateTime: when,
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
        valueQuantity: { value: sys, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
        valueQuantity: { value: dia, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    ],
    ...extra,
  };
}

export function quantity(code, value, unit, when = '2026-11-01T07:30:00+09:00', extra = {}) {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    effectiveDateTime: when,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
    ...extra,
  };
}

// Runs SQL against a data directory's store (or, with file 'keys.db', its
// key store) with Debian's sqlite3 tool.
export function sql(data, statement, file = 'phr.db') {
  // The server may be committing: wait for its lock as the server would.
  const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', join(data, file), statement], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

// `phr policy publish` of the policies in force with one more purpose, as
// the operator would publish it; the command's result ({status, stdout,
// stderr}) is returned, unasserted.
export async function publishPurpose(srv, purpose) {
  const { manifestFrom } = await import('../../web/js/manifest.js');
  const dir = mkdtempSync(join(tmpdir(), 'phr-policy-'));
  cpSync(new URL('../../policies/', import.meta.url).pathname, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8'));
  manifest.purposes = manifestFrom((await call(srv, 'GET', '/api/v1/policies')).body).purposes;
  manifest.purposes.push(purpose);
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(manifest));
  const r = phr(['policy', 'publish', '--data', srv.data, '--manifest', join(dir, 'policy.json'), '--log-level', 'warn']);
  rmSync(dir, { recursive: true, force: true });
  return r;
}

export function phr(args, opts = {}) {
  return spawnSync(BIN, args, { encoding: 'utf8', ...opts });
}

// A file handed to POST /api/v1/imports as the person (R4.2).
export function importFile(srv, who, body, type, query = '') {
  return call(srv, 'POST', `/api/v1/imports${query}`, { token: who.token, body, headers: { 'content-type': type } });
}

// How many record versions the store holds for the person (of one resource
// type, if given): what a refusal must leave unchanged.
export function recordCount(srv, who, type) {
  return Number(sql(srv.data, `SELECT count(*) FROM records WHERE person_id = '${who.personId}'${type ? ` AND resource_type = '${type}'` : ''}`));
}

// The resources a FHIR search gives the person, asserting it answered.
export async function searchAs(srv, who, type, query = '') {
  const r = await call(srv, 'GET', `/fhir/${type}${query}`, { token: who.token });
  assert.equal(r.status, 200, r.text);
  return (r.body.entry || []).map((e) => e.resource);
}

// The bytes of a base32 (RFC 4648) string, such as a TOTP key.
export function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of s.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
}

// The code an authenticator app shows for an otpauth:// URI (RFC 6238:
// HMAC-SHA1, 30-second steps, 6 digits), now or stepsLater steps on.
export function totp(uri, stepsLater = 0) {
  const secret = base32(new URL(uri).searchParams.get('secret'));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + stepsLater));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const o = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
