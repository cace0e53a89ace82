// Faults, not statuses (issue 17 item 4, R2.9): every refusal carries a stable
// error code from one table, the status its kind calls for, a title in the
// caller's language (Japanese unless English is preferred) and a detail that
// names no route; the http layer adds the hints that do. The same code under
// /fhir (OperationOutcome) and /api (problem+json). The table is public at
// GET /api/v1/errors and every code in it is documented in docs/errors.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { startServer, call, signupAndLogin, quantity, phr, totp, PASSWORD } from './helpers.mjs';

let srv, alice, bob;
before(async () => {
  srv = await startServer();
  alice = await signupAndLogin(srv);
  bob = await signupAndLogin(srv, undefined, { consent: false });
});
after(async () => { await srv.stop(); });

const root = new URL('../../', import.meta.url).pathname;
const en = { 'accept-language': 'en-GB,en;q=0.9,ja;q=0.5' };
const fhirCode = (r) => r.body.issue[0].details.coding.find((c) => c.system === 'urn:phr:error')?.code;

test('R2.9 the error table is public: each code once, its status, titles in Japanese and English; docs/errors.md lists every one', async () => {
  const r = await call(srv, 'GET', '/api/v1/errors');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.system, 'urn:phr:error');
  const codes = r.body.errors.map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length);
  assert.ok(codes.length >= 40);
  const doc = readFileSync(`${root}docs/errors.md`, 'utf8');
  for (const e of r.body.errors) {
    assert.match(e.code, /^[a-z][a-z-]*$/);
    assert.ok(e.status >= 400 && e.status < 600, e.code);
    assert.match(e.title.ja, /[\u3040-\u30ff\u4e00-\u9fff]/, `${e.code}: a Japanese title`);
    assert.ok(e.title.en.length > 3, e.code);
    assert.ok(doc.includes(`\`${e.code}\``), `docs/errors.md does not document ${e.code}`);
  }
});

test('R2.9 a refusal says its code in both APIs; the title follows Accept-Language, Japanese by default', async () => {
  // problem+json under /api
  const ja = await call(srv, 'GET', '/api/v1/me/consents');
  assert.equal(ja.status, 401);
  assert.equal(ja.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal(ja.body.code, 'sign-in-required');
  assert.equal(ja.body.type, 'urn:phr:error:sign-in-required');
  assert.equal(ja.body.title, 'ログインしてください');
  assert.equal(ja.headers.get('www-authenticate'), 'Bearer');
  assert.match(ja.body.hint, /POST \/api\/v1\/login/);
  const english = await call(srv, 'GET', '/api/v1/me/consents', { headers: en });
  assert.equal(english.body.title, 'Sign in first');
  const preferJa = await call(srv, 'GET', '/api/v1/me/consents', { headers: { 'accept-language': 'en;q=0.4, ja' } });
  assert.equal(preferJa.body.title, 'ログインしてください');
  // OperationOutcome under /fhir, the same code
  const fhir = await call(srv, 'GET', '/fhir/Observation');
  assert.equal(fhir.status, 401);
  assert.equal(fhir.body.resourceType, 'OperationOutcome');
  assert.equal(fhir.body.issue[0].code, 'login');
  assert.equal(fhirCode(fhir), 'sign-in-required');
  assert.equal(fhir.body.issue[0].details.text, 'ログインしてください');
});

test('R3.4 R2.2 what a person or staff member must do next is a code of its own, its route in the hint, never in the detail', async () => {
  // Recording before consenting: consent-required.
  const c = await call(srv, 'POST', '/fhir/Observation', { token: bob.token, body: quantity('29463-7', 60, 'kg') });
  assert.equal(c.status, 403, c.text);
  assert.equal(fhirCode(c), 'consent-required');
  assert.equal(c.body.issue[0].details.text, '利用目的への同意が必要です');
  const [detail, hint] = c.body.issue[0].diagnostics.split(' (the purposes of use');
  assert.ok(hint, 'the hint follows the detail');
  assert.doesNotMatch(detail, /\/api|\/fhir|POST|GET/);
  // A handler without a reason: reason-required, the header in the hint.
  const h = JSON.parse(phr(['staff', 'add', '--data', srv.data, '--login', 'handler@errors.example.jp', '--role', 'handler']).stdout);
  const s = await call(srv, 'POST', '/api/v1/staff/login', { body: { login: h.login, password: h.password, otp: totp(h.totp_uri) } });
  assert.equal(s.status, 200, s.text);
  const r = await call(srv, 'GET', `/fhir/Observation?patient=${alice.personId}`, { token: s.body.token, headers: en });
  assert.equal(r.status, 403, r.text);
  assert.equal(fhirCode(r), 'reason-required');
  assert.match(r.body.issue[0].diagnostics, /X-PHR-Reason/);
  assert.doesNotMatch(r.body.issue[0].diagnostics.split(' (open a reason')[0], /X-PHR|POST/);
  // A wrong password: sign-in-failed, the same code whichever part was wrong.
  const wrong = await call(srv, 'POST', '/api/v1/login', { body: { login: alice.login, password: `${PASSWORD}x` } });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.code, 'sign-in-failed');
  const nobody = await call(srv, 'POST', '/api/v1/login', { body: { login: 'nobody@example.jp', password: PASSWORD } });
  assert.deepEqual([nobody.status, nobody.body.code, nobody.body.detail], [wrong.status, wrong.body.code, wrong.body.detail]);
});

test('R2.9 the router\'s and the record\'s refusals carry codes: no route, method, media type, If-Match, versions, size', async () => {
  const cases = [
    [await call(srv, 'GET', '/api/v1/nothing-here', { token: alice.token }), 404, 'no-route'],
    [await call(srv, 'GET', '/fhir/Basic', { token: alice.token }), 404, 'no-route'],
    [await call(srv, 'DELETE', '/api/v1/me/consents', { token: alice.token }), 405, 'method-not-allowed'],
    [await call(srv, 'POST', '/api/v1/me/consents', { token: alice.token, body: 'x=1', headers: { 'content-type': 'text/plain' } }), 415, 'media-type'],
    [await call(srv, 'POST', '/api/v1/me/consents', { token: alice.token, body: '{"decisions": [' }), 400, 'malformed'],
    [await call(srv, 'GET', '/fhir/Observation?_count=many', { token: alice.token }), 400, 'bad-request'],
    [await call(srv, 'GET', '/fhir/Observation?_format=xml', { token: alice.token }), 406, 'not-acceptable'],
    [await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: quantity('29463-7', 7000, 'kg') }), 422, 'invalid-value'],
    [await call(srv, 'GET', '/fhir/Observation/00000000-0000-4000-8000-000000000000', { token: alice.token }), 404, 'not-found'],
    [await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: 'x'.repeat(2 * 1024 * 1024) }), 413, 'too-large'],
  ];
  for (const [r, status, code] of cases) {
    assert.equal(r.status, status, r.text);
    assert.equal(r.body.code ?? fhirCode(r), code, r.text);
  }
  const created = await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: quantity('29463-7', 61, 'kg') });
  assert.equal(created.status, 201, created.text);
  const id = created.body.id;
  const put = (ifMatch) => call(srv, 'PUT', `/fhir/Observation/${id}`, {
    token: alice.token, body: { ...quantity('29463-7', 62, 'kg'), id }, headers: { 'if-match': ifMatch },
  });
  const mismatch = await put('W/"7"');
  assert.equal(mismatch.status, 412, mismatch.text);
  assert.equal(fhirCode(mismatch), 'version-mismatch');
  const badTag = await put('7');
  assert.equal(badTag.status, 400, badTag.text);
  assert.equal(fhirCode(badTag), 'bad-request');
});

test('R2.9 refusals on arrival carry codes too: too many parameters, an unknown Host', async () => {
  const many = Array.from({ length: 70 }, (_, i) => `p${i}=1`).join('&');
  const r = await call(srv, 'GET', `/fhir/Observation?${many}`, { token: alice.token });
  assert.equal(r.status, 414, r.text);
  assert.equal(fhirCode(r), 'uri-too-long');
  const host = await new Promise((resolve, reject) => {
    const u = new URL(srv.url);
    const req = request({ host: u.hostname, port: u.port, path: '/api/v1/health', headers: { host: 'attacker.example' } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(host.status, 400);
  assert.equal(host.body.code, 'unknown-host');
});

// The layering the codes rely on: the service and the formats choose a
// fault, never a status, and name no route or header in what they say.
test('R2.9 no fault in service/, formats/, access/, audit/ or store/ names a route or a header; none of them includes http/', () => {
  const offending = [];
  let faults = 0;
  for (const dir of ['service', 'formats', 'access', 'audit', 'store']) {
    for (const f of readdirSync(`${root}src/${dir}`)) {
      const text = readFileSync(`${root}src/${dir}/${f}`, 'utf8');
      if (/#include "http\//.test(text)) offending.push(`${dir}/${f}: includes http/`);
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
      // Each fault_set(...) or op_refuse(...) up to the end of its statement.
      for (const m of code.matchAll(/\b(?:fault_set|op_refuse)\((?:[^;"]|"(?:[^"\\\n]|\\.)*")*;/g)) {
        faults++;
        if (/(GET|POST|PUT|DELETE) \/|\/api\/v1|\/fhir\/|X-PHR-|Authorization|--[a-z]/.test(m[0])) {
          offending.push(`${dir}/${f}: ${m[0].replace(/\s+/g, ' ').slice(0, 160)}`);
        }
      }
    }
  }
  assert.ok(faults > 300, `only ${faults} faults found: the scan is broken`);
  assert.deepEqual(offending, []);
});
