// The OAuth token endpoint the standard way (issue 19 items 4, 6 and 8;
// R3.4): SMART Backend Services assertions checked against the keys a
// recipient registered, client secrets by Basic or in the form, RFC 6749
// errors, scopes granted read-only and enforced on every read, search and
// Bulk export, discovery. Every refusal is in the handling history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr, decide, clientToken, exportStatus } from './helpers.mjs';

let srv;
let clinic;
let tokenUrl;
const kid = 'k-2026';
const keys = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const work = mkdtempSync(join(tmpdir(), 'phr-oauth-'));
const run = (...args) => {
  const r = phr([...args, '--data', srv.data, '--log-level', 'warn']);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : null;
};
const b64 = (o) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');

// A client assertion (RFC 7523) signed ES384, with claims and header
// changed as a test needs.
function assertion({ claims = {}, header = {}, key = keys.privateKey } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const h = { alg: 'ES384', typ: 'JWT', kid, ...header };
  const c = { iss: clinic.client_id, sub: clinic.client_id, aud: tokenUrl, exp: now + 240, jti: randomUUID(), ...claims };
  const input = `${b64(h)}.${b64(c)}`;
  const sig = sign('sha384', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

function token(form, headers = {}) {
  return call(srv, 'POST', '/api/v1/token', {
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}
const backend = (a, scope = 'system/*.rs') => token({
  grant_type: 'client_credentials', scope,
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a,
});
const denials = (reason) => Number(sql(srv.data,
  `SELECT count(*) FROM audit WHERE action = 'client.token' AND result = 'deny' AND reason = '${reason}'`));

before(async () => {
  srv = await startServer();
  tokenUrl = `${srv.url}/api/v1/token`;
  run('recipient', 'group', '--group', 'demo-partners', '--name', 'Demo Health Partners');
  clinic = run('recipient', 'add', '--name', 'Sakura Clinic', '--address', '1-1 Chiyoda, Tokyo', '--country', 'JP',
    '--contact', 'desk@example.jp');
  run('recipient', 'agreement', '--recipient', clinic.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-1');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', clinic.id);
  const jwks = join(work, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...keys.publicKey.export({ format: 'jwk' }), kid, alg: 'ES384' }] }));
  run('recipient', 'keys', '--recipient', clinic.id, '--jwks', jwks);
});
after(async () => { await srv.stop(); });

test('R3.4 a signed assertion gets a five-minute token with the read scopes granted; the same assertion again is refused and recorded', async () => {
  const a = assertion();
  const ok = await backend(a, 'system/*.cruds system/Patient.read');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.token_type, 'Bearer');
  assert.equal(ok.body.expires_in, 300);
  assert.equal(ok.body.scope, 'system/*.rs system/Patient.read', 'writes are never granted');
  assert.equal(ok.headers.get('cache-control'), 'no-store');
  const again = await backend(a);
  assert.equal(again.status, 401);
  assert.equal(again.body.error, 'invalid_client');
  assert.equal(again.body.phr_code, 'assertion-replayed');
  assert.equal(denials('assertion-replayed'), 1);
  const granted = sql(srv.data, `SELECT reason FROM audit WHERE action = 'client.token' AND result = 'allow'`
    + ` AND actor = 'recipient:${clinic.id}' ORDER BY seq DESC LIMIT 1`);
  assert.equal(granted, 'system/*.rs system/Patient.read', 'the grant is on the record with its scopes');
});

test('R2.9 R3.4 an assertion that does not hold is refused as invalid_client, each refusal recorded', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    ['wrong audience', { claims: { aud: 'https://elsewhere.example.jp/token' } }],
    ['iss not the client', { claims: { iss: 'someone-else' } }],
    ['sub not the client', { claims: { sub: '00000000-0000-4000-8000-000000000000' } }],
    ['expired', { claims: { exp: now - 120 } }],
    ['exp too far ahead', { claims: { exp: now + 3600 } }],
    ['no jti', { claims: { jti: undefined } }],
    ['signed by another key', { key: stranger.privateKey }],
    ['a key URL not registered', { header: { jku: 'https://keys.example.jp/jwks.json' } }],
    ['a kid not registered', { header: { kid: 'other' } }],
  ];
  const before = Number(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'client.token' AND result = 'deny'"));
  for (const [what, opts] of cases) {
    const r = await backend(assertion(opts));
    assert.equal(r.status, 401, `${what}: ${r.text}`);
    assert.equal(r.body.error, 'invalid_client', what);
    assert.ok(r.body.error_description, what);
  }
  // alg none and HS256 (a secret made of the public key): the algorithm is refused.
  const h = (alg) => `${b64({ alg, kid })}.${b64({ iss: clinic.client_id, sub: clinic.client_id, aud: tokenUrl, exp: now + 60, jti: randomUUID() })}`;
  for (const alg of ['none', 'HS256']) {
    const r = await backend(`${h(alg)}.${b64('x')}`);
    assert.equal(r.status, 401, alg);
  }
  const after = Number(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'client.token' AND result = 'deny'"));
  assert.equal(after - before, cases.length + 2, 'every refusal is on the record');
  assert.equal(sql(srv.data, "SELECT count(*) FROM client_tokens"), sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'client.token' AND result = 'allow'"),
    'no token was issued for a refused request');
});

test('R2.9 the request itself: a form, the grant type, the scope, one way of authenticating', async () => {
  const json = await call(srv, 'POST', '/api/v1/token', { body: { client_id: clinic.client_id, client_secret: clinic.client_secret } });
  assert.equal(json.status, 400);
  assert.equal(json.body.error, 'invalid_request');
  const noGrant = await token({ client_id: clinic.client_id, client_secret: clinic.client_secret, scope: 'system/*.rs' });
  assert.equal(noGrant.body.error, 'invalid_request');
  const password = await token({ grant_type: 'password', client_id: clinic.client_id, client_secret: clinic.client_secret });
  assert.equal(password.body.error, 'unsupported_grant_type');
  const noCode = await token({ grant_type: 'authorization_code', client_id: clinic.client_id, client_secret: clinic.client_secret });
  assert.equal(noCode.body.error, 'invalid_request', 'a code grant without its code');
  const unknownCode = await token({ grant_type: 'authorization_code', code: 'nope', redirect_uri: 'https://x.example/cb',
    code_verifier: 'v'.repeat(43), client_id: clinic.client_id, client_secret: clinic.client_secret });
  assert.equal(unknownCode.body.error, 'invalid_grant');
  for (const scope of ['', 'launch fhirUser', 'system/Patient.write', 'system/UnknownResource.read', 'patient/Observation.rs']) {
    const r = await backend(assertion(), scope);
    assert.equal(r.status, 400, scope);
    assert.equal(r.body.error, 'invalid_scope', scope);
  }
  const noScope = await token({ grant_type: 'client_credentials', client_id: clinic.client_id, client_secret: clinic.client_secret });
  assert.equal(noScope.body.error, 'invalid_request');
  const twice = await token({ grant_type: 'client_credentials', scope: 'system/*.rs', client_secret: 'x' },
    { authorization: `Basic ${Buffer.from(`${clinic.client_id}:${clinic.client_secret}`).toString('base64')}` });
  assert.equal(twice.body.error, 'invalid_request', 'Basic and a secret in the form: one way only');
  const basic = await token({ grant_type: 'client_credentials', scope: 'system/Observation.rs' },
    { authorization: `Basic ${Buffer.from(`${clinic.client_id}:${clinic.client_secret}`).toString('base64')}` });
  assert.equal(basic.status, 200, basic.text);
  assert.equal(basic.body.scope, 'system/Observation.rs');
  const dup = await call(srv, 'POST', '/api/v1/token', {
    body: 'grant_type=client_credentials&scope=system%2F*.rs&scope=system%2FPatient.rs',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(dup.body.error, 'invalid_request', 'a parameter given twice');
});

test('R3.4 R3.7 scopes bound every read: outside them 403 with the scope needed, on the record', async () => {
  const person = await signupAndLogin(srv);
  assert.equal((await decide(srv, person.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: person.token, body: bloodPressure(128, 82) })).status, 201);
  const patientOnly = (await backend(assertion(), 'system/Patient.rs')).body.access_token;
  const read = (await backend(assertion(), 'system/Observation.rs')).body.access_token;
  const search = await call(srv, 'GET', `/fhir/Observation?patient=${person.personId}`, { token: patientOnly });
  assert.equal(search.status, 403);
  assert.equal(search.body.issue[0].details.coding[0].code, 'scope-insufficient');
  assert.match(search.headers.get('www-authenticate'), /insufficient_scope.*system\/Observation\.s/);
  const async = { prefer: 'respond-async', accept: 'application/fhir+json' };
  const bulk = await call(srv, 'GET', '/fhir/$export?_type=Observation', { token: patientOnly, headers: async });
  assert.equal(bulk.status, 403);
  assert.equal(bulk.body.issue[0].details.coding[0].code, 'scope-insufficient');
  // A file of an export is fetched with the token at hand: its scopes decide too.
  const k = await call(srv, 'GET', '/fhir/$export?_type=Observation', { token: read, headers: async });
  assert.equal(k.status, 202, k.text);
  const manifest = (await exportStatus(k.headers.get('content-location'), read)).body;
  const file = new URL(manifest.output[0].url).pathname;
  assert.equal((await call(srv, 'GET', file, { token: patientOnly, json: false })).status, 403);
  assert.equal((await call(srv, 'GET', file, { token: read, json: false })).status, 200);
  assert.ok(Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'recipient:${clinic.id}' AND result = 'deny' AND reason = 'scope'`)) >= 1);
  // A granular scope narrows the kinds of data: laboratory is checkups, and the person's readings are vitals.
  const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
  const lab = await backend(assertion(), `system/Observation.rs?category=${CATEGORY}|laboratory`);
  assert.equal(lab.status, 200, lab.text);
  assert.equal(lab.body.scope, `system/Observation.rs?category=${CATEGORY}|laboratory`);
  const narrowed = await call(srv, 'GET', `/fhir/Observation?patient=${person.personId}`, { token: lab.body.access_token });
  assert.ok(narrowed.status === 404 || (narrowed.status === 200 && !narrowed.body.entry?.length),
    `a checkup-only token reads no vital sign (the person reads as absent to it): ${narrowed.status}`);
  const vitals = (await backend(assertion(), `system/Observation.rs?category=${CATEGORY}|vital-signs`)).body.access_token;
  const seen = await call(srv, 'GET', `/fhir/Observation?patient=${person.personId}`, { token: vitals });
  assert.equal(seen.status, 200, seen.text);
  assert.ok(seen.body.entry.length >= 1, 'a vital-signs token reads them');
  const searchOnly = (await backend(assertion(), 'system/Observation.s')).body.access_token;
  const found = await call(srv, 'GET', `/fhir/Observation?patient=${person.personId}`, { token: searchOnly });
  assert.equal(found.status, 200, found.text);
  const id = found.body.entry[0].resource.id;
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}`, { token: searchOnly })).status, 403, 's does not read by id');
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}`, { token: read })).status, 200);
});

test('R2.7 a registration holds public keys only; removing them leaves the secret', async () => {
  const priv = join(work, 'private.json');
  writeFileSync(priv, JSON.stringify({ keys: [{ ...keys.privateKey.export({ format: 'jwk' }), kid }] }));
  const r = phr(['recipient', 'keys', '--recipient', clinic.id, '--jwks', priv, '--data', srv.data, '--log-level', 'warn']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /private.*--jwks/);
  const other = run('recipient', 'add', '--name', 'Other', '--address', 'x', '--country', 'JP', '--contact', 'o@example.jp');
  run('recipient', 'keys', '--recipient', other.id, '--jwks', 'none');
  assert.equal((await clientToken(srv, other.client_id, other.client_secret)).status, 200, 'a client without keys signs in with its secret');
  const signed = await backend(assertion({ claims: { iss: other.client_id, sub: other.client_id } }));
  assert.equal(signed.status, 401, 'and has no keys to sign with');
});

test('R3.4 discovery: SMART configuration and the CapabilityStatement name the token endpoint', async () => {
  for (const path of ['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']) {
    const r = await call(srv, 'GET', path);
    assert.equal(r.status, 200, path);
    assert.equal(r.body.token_endpoint, tokenUrl);
    assert.ok(r.body.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
    assert.ok(r.body.token_endpoint_auth_signing_alg_values_supported.includes('ES384'));
    assert.ok(r.body.capabilities.includes('client-confidential-asymmetric'));
  }
  const cap = (await call(srv, 'GET', '/fhir/metadata')).body;
  const security = cap.rest[0].security;
  assert.equal(security.service[0].coding[0].code, 'SMART-on-FHIR');
  const uris = security.extension.find((e) => e.url.endsWith('/oauth-uris'));
  assert.equal(uris.extension.find((e) => e.url === 'token').valueUri, tokenUrl);
  const patient = cap.rest[0].resource.find((r) => r.type === 'Patient');
  assert.ok(patient.operation.some((o) => o.name === 'export'
    && o.definition === 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export'), 'named as the Bulk Data IG names it');
});

test('R2.7 R2.9 a system gets only the scopes its registration allows; beyond them invalid_scope, recorded', async () => {
  run('recipient', 'scopes', '--recipient', clinic.id, '--scopes', 'system/Observation.rs system/Patient.read');
  const before = denials('scope-invalid');
  const wide = await backend(assertion(), 'system/*.rs');
  assert.equal(wide.status, 400, wide.text);
  assert.equal(wide.body.error, 'invalid_scope');
  assert.match(wide.body.error_description, /system\/\*\.rs is beyond/);
  assert.equal(denials('scope-invalid'), before + 1);
  const narrow = await backend(assertion(), 'system/Observation.rs');
  assert.equal(narrow.status, 200, narrow.text);
  const secret = await call(srv, 'POST', '/api/v1/token', {
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/MedicationDispense.rs',
      client_id: clinic.client_id, client_secret: clinic.client_secret }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(secret.status, 400, 'by secret as by assertion');
  const bad = phr(['recipient', 'scopes', '--recipient', clinic.id, '--scopes', 'patient/*.rs', '--data', srv.data, '--log-level', 'warn']);
  assert.notEqual(bad.status, 0, 'a registration names system scopes only');
  run('recipient', 'scopes', '--recipient', clinic.id, '--scopes', 'none');
  assert.equal((await backend(assertion(), 'system/*.rs')).status, 200, 'none: reading every type again');
});

test('R2.7 R2.9 keys by URL: the JWKS a partner publishes is fetched at each token request; a jku names only that URL; an unreachable or private one refuses', async () => {
  const partner = run('recipient', 'add', '--name', 'Keys by URL clinic', '--address', '2-2 Chiyoda, Tokyo', '--country', 'JP',
    '--contact', 'keys@example.jp');
  run('recipient', 'agreement', '--recipient', partner.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-1');
  const rotated = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  let served = { keys: [{ ...keys.publicKey.export({ format: 'jwk' }), kid, alg: 'ES384' }] };
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(req.url === '/jwks.json' ? JSON.stringify(served) : '');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/jwks.json`;
  try {
    const refused = phr(['recipient', 'keys', '--recipient', partner.id, '--jwks-url', 'http://example.org/jwks.json',
      '--data', srv.data, '--log-level', 'warn']);
    assert.notEqual(refused.status, 0, 'http only on this machine');
    run('recipient', 'keys', '--recipient', partner.id, '--jwks-url', url);
    const signed = (claims = {}, header = {}, key = keys.privateKey) => assertion({
      claims: { iss: partner.client_id, sub: partner.client_id, ...claims }, header, key });
    const ok = await backend(signed());
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await backend(signed({}, { jku: url }))).status, 200, 'a jku naming the registered URL');
    const other = await backend(signed({}, { jku: 'https://attacker.example/jwks.json' }));
    assert.equal(other.status, 401);
    assert.equal(other.body.phr_code, 'assertion-invalid');
    // The partner rotates: the new key counts at once, the old one no more.
    served = { keys: [{ ...rotated.publicKey.export({ format: 'jwk' }), kid: 'k-2027', alg: 'ES384' }] };
    assert.equal((await backend(signed({}, { kid: 'k-2027' }, rotated.privateKey))).status, 200);
    assert.equal((await backend(signed())).status, 401, 'the withdrawn key no longer verifies');
    served = { keys: [{ ...rotated.privateKey.export({ format: 'jwk' }), kid: 'k-2027', alg: 'ES384' }] };
    const leaked = await backend(signed({}, { kid: 'k-2027' }, rotated.privateKey));
    assert.equal(leaked.status, 401, 'a published private key is refused, not used');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  const down = await backend(assertion({ claims: { iss: partner.client_id, sub: partner.client_id } }));
  assert.equal(down.status, 401);
  assert.match(down.body.error_description, /could not be read/);
});

// Last: it ends the clinic's agreement.
test('R2.7 ending an organisation\'s agreement stops its tokens at once', async () => {
  const t = (await backend(assertion(), 'system/*.rs')).body.access_token;
  const person = await signupAndLogin(srv);
  assert.equal((await call(srv, 'GET', `/fhir/Observation?patient=${person.personId}`, { token: t })).status !== 401, true);
  run('recipient', 'agreement', '--recipient', clinic.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-1', '--ended');
  assert.equal((await call(srv, 'GET', `/fhir/Observation?patient=${person.personId}`, { token: t })).status, 401);
  const intro = await call(srv, 'POST', '/api/v1/introspect', {
    body: new URLSearchParams({ token: t, client_id: clinic.client_id, client_secret: clinic.client_secret }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(intro.body.active, false);
});
