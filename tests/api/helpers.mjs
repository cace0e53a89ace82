// Starts the real phr binary on a temporary data directory and speaks HTTP
// to it. The binary is the sanitizer build (PHR_BIN, set by scripts/test.sh).
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const BIN = process.env.PHR_BIN || new URL('../../build-asan/phr', import.meta.url).pathname;

export const MANIFEST = new URL('../../policies/policy.json', import.meta.url).pathname;

// The engine the suites run on. With PHR_TEST_PG (a throwaway cluster that
// scripts/pg.sh started) every data directory's store is a database of its
// own in it, created directly and reached as phr would be deployed: at
// PHR_TEST_PG_STORE (the cluster itself, or pgbouncer in front of it). The
// data directory still holds the keys; without PHR_TEST_PG the store is
// its phr.db (SQLite).
const PG = process.env.PHR_TEST_PG;
const PG_STORE = process.env.PHR_TEST_PG_STORE || PG;
export const ENGINE = PG ? 'postgresql' : 'sqlite';
const stores = new Map();
let databases = 0;

// Where a data directory's store is, as --store takes it.
export function storeLocation(data) {
  if (!stores.has(data)) return join(data, 'phr.db');
  const [base, query] = PG_STORE.split('?');
  return `${base}/${stores.get(data)}${query ? `?${query}` : ''}`;
}

// The environment that points phr at a data directory's store.
export function storeEnv(data) {
  return stores.has(data) ? { PHR_STORE: storeLocation(data) } : {};
}

// SQLite's functions that the tests' own statements use, defined for
// PostgreSQL in the test databases only (the service uses none of them).
const PG_TEST_FUNCTIONS = `
CREATE FUNCTION hex(bytea) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(encode($1, 'hex')) $$;
CREATE FUNCTION instr(bytea, text) RETURNS integer LANGUAGE sql IMMUTABLE
  AS $$ SELECT position(convert_to($2, 'UTF8') IN $1) $$;
CREATE FUNCTION randomblob(integer) RETURNS bytea LANGUAGE sql VOLATILE
  AS $$ SELECT decode(string_agg(lpad(to_hex(floor(random() * 256)::int), 2, '0'), ''), 'hex')
        FROM generate_series(1, $1) $$;
CREATE FUNCTION group_concat_step(acc text, v text, sep text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v ELSE acc || sep || v END $$;
CREATE FUNCTION group_concat_step(acc text, v text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT group_concat_step(acc, v, ',') $$;
CREATE AGGREGATE group_concat(text, text) (SFUNC = group_concat_step, STYPE = text);
CREATE AGGREGATE group_concat(text) (SFUNC = group_concat_step, STYPE = text);`;

// An empty database of the cluster's. The name is the process's and a
// random part: a cluster kept between runs may hold an earlier process's.
function emptyDatabase() {
  const name = `t${process.pid}_${randomBytes(4).toString('hex')}_${++databases}`;
  execFileSync('psql', ['-q', `${PG}/postgres`, '-c', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
  return name;
}

function newDatabase(data) {
  const name = emptyDatabase();
  execFileSync('psql', ['-q', `${PG}/${name}`, '-c', PG_TEST_FUNCTIONS], { stdio: 'pipe' });
  stores.set(data, name);
  return name;
}

// A data directory for `phr init`, with its own database on PostgreSQL.
export function freshData(data) {
  if (PG) newDatabase(data);
  return data;
}

// A fresh store with the shipped demo policies published, unless
// { publish: false }; { sqlite: true }: on SQLite whatever the engine.
export function newDataDir({ publish = true, sqlite = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'phr-api-'));
  const data = sqlite ? join(dir, 'data') : freshData(join(dir, 'data'));
  const env = { ...process.env, ...storeEnv(data) };
  execFileSync(BIN, ['init', '--data', data], { stdio: 'pipe', env });
  if (publish) execFileSync(BIN, ['policy', 'publish', '--data', data, '--manifest', MANIFEST], { stdio: 'pipe', env });
  return { root: dir, data };
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
    env: { ...process.env, PHR_LOGIN_DELAY_MS: '0', ...storeEnv(dirs.data), ...env },
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
  // A test that fails before stopping its server must not leave it running
  // (nor keep this file's process waiting for it): once ready, the server
  // holds the event loop no longer, and is killed when the process exits.
  proc.unref();
  proc.stderr.unref();
  const orphan = () => proc.kill('SIGKILL');
  process.on('exit', orphan);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    data: dirs.data,
    logs,
    proc,
    // Stops with SIGTERM and asserts a clean exit: under ASan a leak or an
    // error at shutdown makes the exit status non-zero.
    // Waits for it to end on its own; its exit status.
    async exit() {
      process.off('exit', orphan);
      proc.ref();
      proc.stderr.ref();
      return (await exited).code;
    },
    // Kills it as a crash would, and waits until it is gone.
    async kill() {
      process.off('exit', orphan);
      proc.ref();
      proc.stderr.ref();
      proc.kill('SIGKILL');
      await exited;
    },
    async stop({ keep = false } = {}) {
      process.off('exit', orphan);
      proc.ref();
      proc.stderr.ref();
      proc.kill('SIGTERM');
      const { code, signal } = await exited;
      assert.equal(signal, null, `server died by ${signal}:\n${logs.slice(-30).join('\n')}`);
      assert.equal(code, 0, `server exit status ${code}:\n${logs.slice(-30).join('\n')}`);
      if (!keep && dirs.root) rmSync(dirs.root, { recursive: true, force: true });
    },
  };
}

// A search that found nothing: what the gate's refusal of a search looks
// like (issue 20 item 3), the same as for a person with no records, so that
// the answer tells neither whether the person exists nor what they decided.
export function nothingFound(r, why = '') {
  assert.equal(r.status, 200, `${why}: ${r.text}`);
  assert.equal(r.body.resourceType, 'Bundle', why);
  assert.equal(r.body.type, 'searchset', why);
  assert.equal(r.body.total, 0, why);
  assert.deepEqual(r.body.entry ?? [], [], why);
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

// A recipient's client asks the token endpoint for a token with its
// secret (client_secret_post, RFC 6749 §4.4) and the scopes given.
export function clientToken(srv, clientId, secret, scope = 'system/*.rs') {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope });
  return call(srv, 'POST', '/api/v1/token', {
    body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
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
// key store) with Debian's sqlite3 tool, or psql on PostgreSQL (where the
// key store is the schema ks). Output as sqlite3 gives it: a row a line,
// columns joined by '|'.
export function sql(data, statement, file = 'phr.db') {
  if (stores.has(data)) return psql(data, pgDialect(data, statement), file === 'keys.db');

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

function psql(data, statement, keys = false) {
  const path = keys ? 'SET search_path TO ks, public; ' : '';
  const r = spawnSync('psql', ['-qAt', '-v', 'ON_ERROR_STOP=1', `${PG}/${stores.get(data)}`, '-c', path + statement],
    { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

// The two spellings the tests' statements use that PostgreSQL spells
// otherwise: a blob literal, and a trigger dropped without its table.
function pgDialect(data, statement) {
  return statement
    .replace(/\bx'([0-9a-fA-F]*)'/g, "'\\x$1'::bytea")
    .replace(/DROP TRIGGER (IF EXISTS )?(\w+)/g, (_, ifExists, name) => `DROP TRIGGER ${ifExists || ''}${name} ON ${psql(
      data, `SELECT tgrelid::regclass FROM pg_trigger WHERE tgname = '${name}'`) || 'audit'}`);
}

// The files that hold a data directory's store (keys: its key store), for
// scans of what is at rest: SQLite's database and log; on PostgreSQL the
// relation files of that database (of ks.data_keys for the key store) once
// a checkpoint has written every page, and, for the store, the cluster's
// WAL. (The WAL also holds a deleted key until it is recycled: see
// docs/postgresql.md; it is not scanned for keys.)
export function storeFiles(data, { keys = false } = {}) {
  if (!stores.has(data)) {
    const base = keys ? 'keys.db' : 'phr.db';
    return [base, `${base}-wal`].map((f) => join(data, f)).filter(existsSync);
  }
  const dir = join(process.env.PHR_TEST_PG_DIR, 'data');
  psql(data, 'CHECKPOINT');
  if (keys) return [join(dir, psql(data, "SELECT pg_relation_filepath('ks.data_keys')"))];
  const db = join(dir, 'base', psql(data, 'SELECT oid FROM pg_database WHERE datname = current_database()'));
  const wal = join(dir, 'pg_wal');
  return [...readdirSync(db).map((f) => join(db, f)), ...readdirSync(wal).filter((f) => /^[0-9A-F]{24}$/.test(f))
    .map((f) => join(wal, f))];
}

// A copy of a running store as an operator's backup of the records is
// made, into the data directory `to` (with the key files): SQLite's files
// by its online backup; on PostgreSQL a pg_dump without the key store's
// schema, restored into a database of its own (docs/postgresql.md).
export function backupStore(data, to) {
  mkdirSync(to, { recursive: true });
  for (const f of ['master.key', 'audit.key']) copyFileSync(join(data, f), join(to, f));
  if (!stores.has(data)) {
    for (const f of ['phr.db', 'keys.db']) sqliteBackup(join(data, f), join(to, f));
    return;
  }
  const name = emptyDatabase();
  const dump = execFileSync('pg_dump', ['--exclude-schema=ks', `${PG}/${stores.get(data)}`]);
  execFileSync('psql', ['-q', `${PG}/${name}`], { input: dump, stdio: ['pipe', 'pipe', 'pipe'] });
  execFileSync('psql', ['-q', `${PG}/${name}`, '-c', 'CREATE SCHEMA ks'], { stdio: 'pipe' });
  stores.set(to, name);
}

// The key store of `from`, as it is now, put in place of `to`'s (a key store
// restored from a backup, or the live one beside an old copy).
export function copyKeyStore(from, to) {
  if (!stores.has(from)) {
    for (const f of ['keys.db-wal', 'keys.db-shm']) rmSync(join(to, f), { force: true });
    return sqliteBackup(join(from, 'keys.db'), join(to, 'keys.db'));
  }
  psql(to, 'DROP SCHEMA IF EXISTS ks CASCADE');
  const dump = execFileSync('pg_dump', ['--schema=ks', `${PG}/${stores.get(from)}`]);
  execFileSync('psql', ['-q', `${PG}/${stores.get(to)}`], { input: dump, stdio: ['pipe', 'pipe', 'pipe'] });
}

// A whole copy of a stopped server's store, key store and keys.
export function copyStore(from, to) {
  if (!stores.has(from)) return cpSync(from, to, { recursive: true });
  backupStore(from, to);
  copyKeyStore(from, to);
}

// The schema version a store says it has (a newer phr's, to be refused).
export function setSchemaVersion(data, version) {
  sql(data, stores.has(data) ? `UPDATE phr_schema SET version = ${version}` : `PRAGMA user_version = ${version}`);
}

// Every table of the live schema, the key store's included.
export function tableNames(data) {
  if (stores.has(data)) {
    return psql(data, "SELECT table_name FROM information_schema.tables WHERE table_schema IN ('public', 'ks')"
      + " AND table_name <> 'phr_schema'").split('\n').sort();
  }
  const names = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
  return [...sql(data, names).split('\n'), ...sql(data, names, 'keys.db').split('\n')].sort();
}

// Another process takes the store's write lock (SQLite's, or the writers'
// advisory lock on PostgreSQL) and holds it until release() is called.
export async function holdWriter(data) {
  const pg = stores.has(data);
  const proc = pg
    ? spawn('psql', ['-q', `${PG}/${stores.get(data)}`], { stdio: ['pipe', 'ignore', 'pipe'] })
    : spawn('sqlite3', [join(data, 'phr.db')], { stdio: ['pipe', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  // It says so on stderr (a pipe's stdout is buffered, its stderr is not).
  proc.stdin.write(pg ? 'BEGIN;\nSELECT pg_advisory_xact_lock(123593891512321);\n\\warn locked\n'
    : '.timeout 10000\nBEGIN IMMEDIATE;\nSELECT locked_now;\n');
  await new Promise((resolve) => proc.stderr.once('data', resolve));
  return {
    async release() {
      proc.stdin.end('COMMIT;\n');
      await exited;
    },
  };
}

function sqliteBackup(from, to) {
  const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', from, `.backup '${to}'`]);
  if (r.status !== 0) throw new Error(`sqlite3 .backup failed: ${r.stderr}`);
}

// Runs the phr binary; a --data argument brings its store with it.
export function phr(args, opts = {}) {
  const i = args.indexOf('--data');
  const env = { ...process.env, ...(i >= 0 ? storeEnv(args[i + 1]) : {}), ...(opts.env || {}) };
  return spawnSync(BIN, args, { encoding: 'utf8', ...opts, env });
}

// A partner as the operator sets one up (R2.7): added, with an agreement
// on record, in the group demo-partners (made unless there); its token.
export async function partner(srv, name) {
  const run = (...args) => {
    const r = phr([...args, '--data', srv.data, '--log-level', 'warn']);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout ? JSON.parse(r.stdout) : null;
  };
  phr(['recipient', 'group', '--group', 'demo-partners', '--name', 'Demo Health Partners', '--data', srv.data, '--log-level', 'error']);
  const r = run('recipient', 'add', '--name', name, '--address', '1-1 Chiyoda, Tokyo', '--country', 'JP', '--contact', 'desk@example.jp');
  run('recipient', 'agreement', '--recipient', r.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-1',
    '--certification', 'Pマーク', '--cert-expires', '2028-03-31');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', r.id);
  const t = await clientToken(srv, r.client_id, r.client_secret);
  assert.equal(t.status, 200, t.text);
  return { ...r, token: t.body.access_token };
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

// A Bulk export's status, polled while it is being prepared (202 with
// X-Progress): the first other answer, its body read as JSON if it is.
export async function exportStatus(url, token) {
  for (let i = 0; i < 200; i++) {
    const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (r.status !== 202) {
      const text = await r.text();
      let body = null;
      try { body = text ? JSON.parse(text) : null; } catch { body = null; }
      return { status: r.status, headers: r.headers, body, polled: i };
    }
    assert.ok(r.headers.get('x-progress'), 'a 202 says how far it is');
    assert.ok(r.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the export at ${url} was not prepared in 10 s`);
}
