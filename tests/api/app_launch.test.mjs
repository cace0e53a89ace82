// Apps of the person's choosing, the standard way (issue 19 items 1, 2, 3,
// 5, 6 and 8; R3.3, R3.4, R3.6): SMART App Launch's standalone patient
// launch with PKCE S256, the person's approval as a consent in the ledger
// naming the app, tokens that read that person only, refresh tokens that
// rotate, revocation by the person (at once), RFC 7009 and RFC 7662, CORS
// for the registered origins only, and every refusal recorded. openid-client
// (an independent OAuth client, unmodified) does one whole flow.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr, create, publishPurpose, shownHashes, nothingFound } from './helpers.mjs';

let srv;
let app;
let confidential;
const REDIRECT = 'http://127.0.0.1:9/callback';
const ORIGIN = 'http://127.0.0.1:9';
const run = (...args) => {
  const r = phr([...args, '--data', srv.data, '--log-level', 'warn']);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : null;
};
const pkce = () => {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const form = (path, fields, headers = {}) => call(srv, 'POST', path, {
  body: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
});
const denials = (reason) => Number(sql(srv.data,
  `SELECT count(*) FROM audit WHERE action = 'client.token' AND result = 'deny' AND reason = '${reason}'`));

function authorizeQuery(overrides = {}, { challenge } = pkce()) {
  const q = {
    response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT,
    scope: 'launch/patient patient/Observation.rs offline_access openid fhirUser', state: 'st-123',
    aud: `${srv.url}/fhir`, code_challenge: challenge, code_challenge_method: 'S256', ...overrides,
  };
  for (const [k, v] of Object.entries(q)) if (v === undefined) delete q[k];
  return new URLSearchParams(q).toString();
}

// The authorization endpoint; the answer unfollowed.
async function authorizeAt(query) {
  const r = await fetch(`${srv.url}/api/v1/authorize?${query}`, { redirect: 'manual' });
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}

// The person's part in the portal: what they are shown, then their answer.
async function approve(person, query, decision = 'approve') {
  const shown = await call(srv, 'GET', `/api/v1/me/app-request?${query}`, { token: person.token });
  assert.equal(shown.status, 200, shown.text);
  const r = await call(srv, 'POST', '/api/v1/me/apps', {
    token: person.token, body: { query, decision, shown: await shownHashes(srv) },
  });
  assert.equal(r.status, 200, r.text);
  return { shown: shown.body, redirect: new URL(r.body.redirect) };
}

// The whole launch: authorize, approve, exchange the code.
async function launch(person, overrides = {}) {
  const p = pkce();
  const a = await authorizeAt(authorizeQuery(overrides, p));
  assert.equal(a.status, 302, a.text);
  const { redirect } = await approve(person, a.location.split('?')[1]);
  const code = redirect.searchParams.get('code');
  const t = await form('/api/v1/token', {
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.verifier, client_id: app.client_id,
  });
  assert.equal(t.status, 200, t.text);
  return { ...t.body, code, verifier: p.verifier };
}

before(async () => {
  srv = await startServer();
  run('recipient', 'group', '--group', 'bp-app-users', '--name', 'Kenko BP app users');
  app = run('recipient', 'add', '--name', 'Kenko BP', '--address', '2-2 Minato, Tokyo', '--country', 'JP',
    '--contact', 'app@example.jp');
  run('recipient', 'agreement', '--recipient', app.id, '--signed', '2026-11-01', '--agreement-version', 'APP-1');
  run('recipient', 'join', '--group', 'bp-app-users', '--recipient', app.id);
  run('recipient', 'app', '--recipient', app.id, '--public', '--redirect-uris', REDIRECT, '--origins', ORIGIN,
    '--scopes', 'launch/patient offline_access patient/*.rs patient/Observation.c');
  confidential = run('recipient', 'add', '--name', 'Clinic portal', '--address', '3-3 Chuo, Tokyo', '--country', 'JP',
    '--contact', 'it@example.jp');
  run('recipient', 'agreement', '--recipient', confidential.id, '--signed', '2026-11-01', '--agreement-version', 'APP-1');
  run('recipient', 'join', '--group', 'bp-app-users', '--recipient', confidential.id);
  run('recipient', 'app', '--recipient', confidential.id, '--redirect-uris', REDIRECT);
  const published = await publishPurpose(srv, { code: 'provision-bp-app', required: false,
    title: { ja: '血圧アプリへの提供', en: 'Provision to the blood-pressure app' },
    description: { ja: 'あなたが連携した血圧アプリに、血圧などの測定値を提供します。', en: 'Your measurements go to the blood-pressure app you connect.' },
    recipient_group: 'bp-app-users', kinds: ['vital-signs'] });
  assert.equal(published.status, 0, published.stderr);
});
after(async () => { await srv.stop(); });

test('R3.3 R3.4 a standalone patient launch: the person sees the app and the data in words, approves, and the ledger names the app; the token reads that person only', async () => {
  const alice = await signupAndLogin(srv);
  const bob = await signupAndLogin(srv);
  await create(srv, alice, bloodPressure(128, 82));
  await create(srv, bob, bloodPressure(150, 95));
  const a = await authorizeAt(authorizeQuery());
  assert.equal(a.status, 302, a.text);
  assert.match(a.location, /^\/#\/authorize\?/, 'a good request goes to the portal\'s page');
  const query = a.location.split('?')[1];
  const { shown, redirect } = await approve(alice, query);
  assert.equal(shown.name, 'Kenko BP');
  assert.equal(shown.country, 'JP');
  assert.deepEqual(shown.scopes.map((s) => s.scope), ['launch/patient', 'patient/Observation.rs', 'offline_access'],
    'openid and fhirUser grant nothing: no id_token is issued');
  assert.match(shown.scopes[1].ja, /血圧/);
  assert.deepEqual(shown.purposes.map((p) => p.code), ['provision-bp-app']);
  assert.equal(redirect.origin + redirect.pathname, REDIRECT);
  assert.equal(redirect.searchParams.get('state'), 'st-123');
  const ledger = sql(srv.data, `SELECT purpose || '|' || decision || '|' || channel || '|' || recorded_by FROM consents`
    + ` WHERE person_id = '${alice.personId}' ORDER BY seq DESC LIMIT 1`);
  assert.equal(ledger, `provision-bp-app|grant|app|app:${app.client_id}`);

  const p = pkce();
  const a2 = await authorizeAt(authorizeQuery({}, p));
  const { redirect: r2 } = await approve(alice, a2.location.split('?')[1]);
  const t = await form('/api/v1/token', {
    grant_type: 'authorization_code', code: r2.searchParams.get('code'), redirect_uri: REDIRECT,
    code_verifier: p.verifier, client_id: app.client_id,
  });
  assert.equal(t.status, 200, t.text);
  assert.equal(t.body.patient, alice.personId);
  assert.equal(t.body.scope, 'launch/patient patient/Observation.rs offline_access');
  assert.equal(t.body.expires_in, 300);
  assert.ok(t.body.refresh_token);
  const mine = await call(srv, 'GET', '/fhir/Observation', { token: t.body.access_token });
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.body.total, 1, 'the app sees the person who approved it');
  assert.equal(mine.body.entry[0].resource.component[0].valueQuantity.value, 128);
  const theirs = await call(srv, 'GET', `/fhir/Observation?patient=${bob.personId}`, { token: t.body.access_token });
  nothingFound(theirs, 'never anyone else, even one who consented to nothing for it');
  const bulk = await call(srv, 'GET', '/fhir/$export', { token: t.body.access_token,
    headers: { accept: 'application/fhir+json', prefer: 'respond-async' } });
  assert.ok([403, 404].includes(bulk.status), `an app's token gets no bulk export: ${bulk.status}`);
  const meds = await call(srv, 'GET', '/fhir/MedicationDispense', { token: t.body.access_token });
  assert.equal(meds.status, 403, 'outside its scopes');
  assert.equal(meds.body.issue[0].details.coding[0].code, 'scope-insufficient');
  const noScope = await call(srv, 'GET', `/fhir/Patient/${alice.personId}`, { token: t.body.access_token });
  assert.equal(noScope.status, 403, 'the Patient resource needs its scope, as SMART says');
  const withPatient = await launch(alice, { scope: 'launch/patient patient/Patient.rs patient/Observation.rs' });
  const patient = await call(srv, 'GET', `/fhir/Patient/${alice.personId}`, { token: withPatient.access_token });
  assert.equal(patient.status, 200, 'the app reads its patient, as SMART apps do after a launch');
  assert.equal(patient.body.id, alice.personId);
  assert.equal((await call(srv, 'GET', `/fhir/Patient/${bob.personId}`, { token: withPatient.access_token })).status, 404);
  const provided = Number(sql(srv.data, `SELECT count(*) FROM provisions WHERE recipient_id = '${app.client_id}'`
    + ` AND person_id = '${alice.personId}'`));
  assert.ok(provided >= 1, 'each read is a provision record (R3.7)');
});

test('R2.9 a code is used once with its own verifier: a wrong verifier or redirect is invalid_grant, and a second use revokes what the first gave', async () => {
  const carol = await signupAndLogin(srv);
  const p = pkce();
  const a = await authorizeAt(authorizeQuery({}, p));
  const { redirect } = await approve(carol, a.location.split('?')[1]);
  const code = redirect.searchParams.get('code');
  const exchange = (fields) => form('/api/v1/token', {
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.verifier, client_id: app.client_id,
    ...fields,
  });
  const wrong = await exchange({ code_verifier: pkce().verifier });
  assert.equal(wrong.status, 400, wrong.text);
  assert.equal(wrong.body.error, 'invalid_grant');
  assert.equal(wrong.body.phr_code, 'grant-invalid');
  const first = await exchange({});
  assert.equal(first.status, 400, 'a code tried with a wrong verifier is spent');
  const q = pkce();
  const b = await authorizeAt(authorizeQuery({}, q));
  const { redirect: r2 } = await approve(carol, b.location.split('?')[1]);
  const good = await form('/api/v1/token', {
    grant_type: 'authorization_code', code: r2.searchParams.get('code'), redirect_uri: REDIRECT,
    code_verifier: q.verifier, client_id: app.client_id,
  });
  assert.equal(good.status, 200, good.text);
  assert.equal((await call(srv, 'GET', '/fhir/Observation', { token: good.body.access_token })).status, 200);
  const replay = await form('/api/v1/token', {
    grant_type: 'authorization_code', code: r2.searchParams.get('code'), redirect_uri: REDIRECT,
    code_verifier: q.verifier, client_id: app.client_id,
  });
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, 'invalid_grant');
  assert.equal((await call(srv, 'GET', '/fhir/Observation', { token: good.body.access_token })).status, 401,
    'the tokens the code gave are revoked (RFC 6749 §4.1.2)');
  const refreshed = await form('/api/v1/token', { grant_type: 'refresh_token', refresh_token: good.body.refresh_token,
    client_id: app.client_id });
  assert.equal(refreshed.status, 400, 'and so is its refresh token');
  assert.ok(denials('grant-invalid') >= 3, 'each refusal is in the handling history');
});

test('R2.9 a refresh token rotates: the new pair works, the old one used again ends the approval', async () => {
  const dan = await signupAndLogin(srv);
  const t = await launch(dan);
  const r1 = await form('/api/v1/token', { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: app.client_id });
  assert.equal(r1.status, 200, r1.text);
  assert.notEqual(r1.body.refresh_token, t.refresh_token);
  assert.equal(r1.body.patient, dan.personId);
  assert.equal((await call(srv, 'GET', '/fhir/Observation', { token: r1.body.access_token })).status, 200);
  const stolen = await form('/api/v1/token', { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: app.client_id });
  assert.equal(stolen.status, 400);
  assert.equal(stolen.body.error, 'invalid_grant');
  assert.equal((await call(srv, 'GET', '/fhir/Observation', { token: r1.body.access_token })).status, 401,
    'a refresh token used twice was stolen: everything under the approval ends');
  const other = await form('/api/v1/token', { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token,
    client_id: confidential.client_id, client_secret: confidential.client_secret });
  assert.equal(other.status, 400, 'nor does another client get anything with it');
});

test('R2.9 the same refresh token sent twice at once: one answer at most, and the approval ends', async () => {
  const kai = await signupAndLogin(srv);
  const t = await launch(kai);
  const both = await Promise.all([0, 1].map(() => form('/api/v1/token', { grant_type: 'refresh_token',
    refresh_token: t.refresh_token, client_id: app.client_id })));
  const ok = both.filter((r) => r.status === 200);
  assert.ok(ok.length <= 1, `both got tokens: ${both.map((r) => r.status)}`);
  assert.ok(both.some((r) => r.status === 400 && r.body.error === 'invalid_grant'));
  for (const r of ok)
    assert.equal((await call(srv, 'GET', '/fhir/Observation', { token: r.body.access_token })).status, 401,
      'the second use ended the approval, and what the first got with it');
});

test('R3.6 the person revokes the app in the portal: its token stops at that instant, the purpose is withdrawn, the list says when', async () => {
  const erin = await signupAndLogin(srv);
  await create(srv, erin, bloodPressure(118, 76));
  const t = await launch(erin);
  assert.equal((await call(srv, 'GET', '/fhir/Observation', { token: t.access_token })).status, 200);
  const list = await call(srv, 'GET', '/api/v1/me/apps', { token: erin.token });
  assert.equal(list.status, 200, list.text);
  const mine = list.body.apps.filter((x) => x.client_id === app.client_id);
  assert.ok(mine.length >= 1);
  assert.equal(mine[0].name, 'Kenko BP');
  assert.ok(mine[0].scopes.some((x) => /血圧/.test(x.ja)), 'what it may read, in words');
  assert.match(mine[0].approved_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  assert.ok(mine[0].last_read_at, 'when it last read is shown');
  const intro = await form('/api/v1/introspect', { token: t.access_token, client_id: app.client_id });
  assert.equal(intro.status, 200, intro.text);
  assert.equal(intro.body.active, true);
  assert.equal(intro.body.patient, erin.personId);
  assert.equal(intro.body.client_id, app.client_id);
  for (const g of mine) {
    const r = await call(srv, 'DELETE', `/api/v1/me/apps/${g.id}`, { token: erin.token });
    assert.equal(r.status, 204, r.text);
  }
  assert.equal((await call(srv, 'GET', '/fhir/Observation', { token: t.access_token })).status, 401);
  assert.equal((await form('/api/v1/introspect', { token: t.access_token, client_id: app.client_id })).body.active, false);
  const refresh = await form('/api/v1/token', { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: app.client_id });
  assert.equal(refresh.status, 400);
  const state = sql(srv.data, `SELECT decision FROM consent_state WHERE person_id = '${erin.personId}' AND purpose = 'provision-bp-app'`);
  assert.equal(state, 'withdraw');
  const after = await call(srv, 'GET', '/api/v1/me/apps', { token: erin.token });
  assert.ok(after.body.apps.every((x) => x.revoked_at), 'revoked ones stay in the list, with the time');
  const again = await call(srv, 'DELETE', `/api/v1/me/apps/${mine[0].id}`, { token: erin.token });
  assert.equal(again.status, 404);
  const other = await signupAndLogin(srv);
  const foreign = await call(srv, 'DELETE', `/api/v1/me/apps/${mine[0].id}`, { token: other.token });
  assert.equal(foreign.status, 404, 'nobody else revokes (or learns of) a person\'s approval');
});

test('R3.4 a granular scope is shown in words and narrows what the app reads to that category', async () => {
  const jun = await signupAndLogin(srv);
  await create(srv, jun, bloodPressure(119, 77));
  const a = await authorizeAt(authorizeQuery({ scope: 'launch/patient patient/Observation.rs?category=vital-signs' }));
  assert.equal(a.status, 302, a.text);
  const shown = await call(srv, 'GET', `/api/v1/me/app-request?${a.location.split('?')[1]}`, { token: jun.token });
  assert.equal(shown.status, 200, shown.text);
  assert.equal(shown.body.scopes[1].ja, '測定値（血圧・体重など）を読む');
  const t = await launch(jun, { scope: 'launch/patient patient/Observation.rs?category=vital-signs' });
  assert.match(t.scope, /patient\/Observation\.rs\?category=http:\/\/terminology\.hl7\.org\/CodeSystem\/observation-category\|vital-signs/);
  const read = await call(srv, 'GET', '/fhir/Observation', { token: t.access_token });
  assert.equal(read.status, 200, read.text);
  assert.equal(read.body.total, 1);
});

test('R3.3 refusing: the app is sent back access_denied with its state, the ledger has the refusal, nothing is issued', async () => {
  const fay = await signupAndLogin(srv);
  const a = await authorizeAt(authorizeQuery());
  const { redirect } = await approve(fay, a.location.split('?')[1], 'refuse');
  assert.equal(redirect.searchParams.get('error'), 'access_denied');
  assert.equal(redirect.searchParams.get('state'), 'st-123');
  assert.equal(redirect.searchParams.get('code'), null);
  assert.equal(sql(srv.data, `SELECT decision FROM consents WHERE person_id = '${fay.personId}' AND purpose = 'provision-bp-app'`),
    'refuse');
  assert.equal(Number(sql(srv.data, `SELECT count(*) FROM app_grants WHERE person_id = '${fay.personId}'`)), 0);
});

test('R2.9 bad authorization requests: an unknown app or a redirect not registered is never redirected to; the rest go back with the OAuth error; all recorded', async () => {
  const before = denials('redirect-invalid');
  const unknown = await authorizeAt(authorizeQuery({ client_id: '00000000-0000-4000-8000-000000000000' }));
  assert.equal(unknown.status, 400);
  assert.equal(unknown.location, null);
  assert.match(unknown.text, /このアプリと連携できません/);
  const elsewhere = await authorizeAt(authorizeQuery({ redirect_uri: 'https://attacker.example/cb' }));
  assert.equal(elsewhere.status, 400);
  assert.equal(elsewhere.location, null, 'never sent to an address nobody registered');
  assert.equal(denials('redirect-invalid'), before + 2);
  const cases = [
    ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['no PKCE', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
    ['another server', { aud: 'https://other.example.jp/fhir' }, 'invalid_request'],
    ['a token response', { response_type: 'token' }, 'unsupported_response_type'],
    ['a system scope', { scope: 'system/*.rs' }, 'invalid_scope'],
    ['a query other than a category', { scope: 'patient/Observation.rs?code=8480-6' }, 'invalid_scope'],
    ['beyond the registration', { client_id: confidential.client_id, scope: 'launch/patient patient/Observation.crs' },
      'invalid_scope'],
  ];
  for (const [name, overrides, error] of cases) {
    const r = await authorizeAt(authorizeQuery(overrides));
    assert.equal(r.status, 302, name);
    const back = new URL(r.location);
    assert.equal(back.origin + back.pathname, REDIRECT, name);
    assert.equal(back.searchParams.get('error'), error, name);
    assert.equal(back.searchParams.get('state'), 'st-123', name);
  }
  assert.ok(denials('bad-request') >= 4 && denials('scope-invalid') >= 3);
  const bad = phr(['recipient', 'app', '--recipient', app.id, '--redirect-uris', REDIRECT, '--scopes', 'patient/Patient.c',
    '--data', srv.data, '--log-level', 'warn']);
  assert.notEqual(bad.status, 0, 'a registration names only scopes an app can be granted');
});

test('R2.9 a confidential app must prove itself at the token endpoint; a public one names itself', async () => {
  const gus = await signupAndLogin(srv);
  const p = pkce();
  const q = authorizeQuery({ client_id: confidential.client_id }, p);
  const a = await authorizeAt(q);
  assert.equal(a.status, 302, a.text);
  const { redirect } = await approve(gus, a.location.split('?')[1]);
  const fields = { grant_type: 'authorization_code', code: redirect.searchParams.get('code'), redirect_uri: REDIRECT,
    code_verifier: p.verifier };
  const bare = await form('/api/v1/token', { ...fields, client_id: confidential.client_id });
  assert.equal(bare.status, 401, bare.text);
  assert.equal(bare.body.error, 'invalid_client');
  const basic = Buffer.from(`${confidential.client_id}:${confidential.client_secret}`).toString('base64');
  const ok = await form('/api/v1/token', fields, { authorization: `Basic ${basic}` });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.patient, gus.personId);
  const revoked = await form('/api/v1/revoke', { token: ok.body.access_token }, { authorization: `Basic ${basic}` });
  assert.equal(revoked.status, 200, revoked.text);
  assert.equal((await call(srv, 'GET', '/fhir/Observation', { token: ok.body.access_token })).status, 401, 'RFC 7009');
  const unknown = await form('/api/v1/revoke', { token: 'x'.repeat(64) }, { authorization: `Basic ${basic}` });
  assert.equal(unknown.status, 200, 'an unknown token is answered as revoked');
});

test('CORS: the registered origin may call /fhir and the token endpoint, with a preflight; any other origin may not; discovery is public', async () => {
  const pre = await call(srv, 'OPTIONS', '/fhir/Observation', { headers: {
    origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
  assert.equal(pre.status, 204, pre.text);
  assert.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
  assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
  assert.equal(pre.headers.get('access-control-allow-credentials'), null, 'the portal\'s cookie never crosses origins');
  const tok = await call(srv, 'OPTIONS', '/api/v1/token', { headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
  assert.equal(tok.status, 204);
  const evil = await call(srv, 'OPTIONS', '/fhir/Observation', { headers: {
    origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
  assert.equal(evil.status, 403);
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  const plain = await call(srv, 'GET', '/fhir/Observation', { headers: { origin: 'https://evil.example' } });
  assert.equal(plain.headers.get('access-control-allow-origin'), null);
  const disc = await call(srv, 'GET', '/fhir/.well-known/smart-configuration', { headers: { origin: 'https://evil.example' } });
  assert.equal(disc.headers.get('access-control-allow-origin'), '*');
  assert.equal(disc.body.authorization_endpoint, `${srv.url}/api/v1/authorize`);
  assert.deepEqual(disc.body.code_challenge_methods_supported, ['S256']);
  for (const c of ['launch-standalone', 'client-public', 'context-standalone-patient', 'permission-patient', 'permission-offline'])
    assert.ok(disc.body.capabilities.includes(c), c);
  const meta = await call(srv, 'GET', '/fhir/metadata');
  assert.equal(meta.body.rest[0].security.cors, true);
  const uris = Object.fromEntries(meta.body.rest[0].security.extension[0].extension.map((e) => [e.url, e.valueUri]));
  assert.equal(uris.authorize, `${srv.url}/api/v1/authorize`);
  assert.equal(uris.revoke, `${srv.url}/api/v1/revoke`);
});

test('R1.1 R3.4 an app with patient/Observation.c records the person\'s readings as its own; without it, or for anyone else, it is refused', async () => {
  const ivy = await signupAndLogin(srv);
  const other = await signupAndLogin(srv);
  const writer = await launch(ivy, { scope: 'launch/patient patient/Observation.crs' });
  assert.equal(writer.scope, 'launch/patient patient/Observation.crs');
  const made = await call(srv, 'POST', '/fhir/Observation', { token: writer.access_token, body: bloodPressure(131, 84) });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.body.subject.reference, `Patient/${ivy.personId}`);
  const row = sql(srv.data, `SELECT recorded_by || '|' || channel FROM records WHERE id = '${made.body.id}'`);
  assert.equal(row, `recipient:${app.client_id}|app`, 'the app is the reading\'s source (R1.1)');
  const seen = await call(srv, 'GET', `/fhir/Observation/${made.body.id}`, { token: ivy.token });
  assert.equal(seen.status, 200, 'the person sees it as theirs');
  const elsewhere = await call(srv, 'POST', '/fhir/Observation', { token: writer.access_token,
    body: { ...bloodPressure(120, 80), subject: { reference: `Patient/${other.personId}` } } });
  assert.equal(elsewhere.status, 403, elsewhere.text);
  const reader = await launch(ivy, { scope: 'launch/patient patient/Observation.rs' });
  const refused = await call(srv, 'POST', '/fhir/Observation', { token: reader.access_token, body: bloodPressure(131, 84) });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.issue[0].details.coding[0].code, 'scope-insufficient');
  const basic = Buffer.from(`${confidential.client_id}:${confidential.client_secret}`).toString('base64');
  const system = await form('/api/v1/token', { grant_type: 'client_credentials', scope: 'system/*.rs' },
    { authorization: `Basic ${basic}` });
  const bySystem = await call(srv, 'POST', '/fhir/Observation', { token: system.body.access_token,
    body: { ...bloodPressure(120, 80), subject: { reference: `Patient/${ivy.personId}` } } });
  assert.equal(bySystem.status, 403, 'another provider\'s system never writes');
  const s = await call(srv, 'POST', '/api/v1/me/suspensions', { token: ivy.token, body: { purpose: '*', action: 'suspend' } });
  assert.equal(s.status, 204, s.text);
  const suspended = await call(srv, 'POST', '/fhir/Observation', { token: writer.access_token, body: bloodPressure(140, 90) });
  assert.equal(suspended.status, 403, 'a suspension stops the app\'s writing too (R3.9)');
  assert.equal(Number(sql(srv.data, `SELECT count(*) FROM records WHERE person_id = '${ivy.personId}'`)), 1);
});

test('openid-client (unmodified) runs the code flow with PKCE and the refresh against the server', async () => {
  const hana = await signupAndLogin(srv);
  await create(srv, hana, bloodPressure(121, 79));
  const disc = (await call(srv, 'GET', '/.well-known/smart-configuration')).body;
  const config = new oidc.Configuration({ ...disc, issuer: disc.issuer }, app.client_id, undefined, oidc.None());
  oidc.allowInsecureRequests(config);
  const verifier = oidc.randomPKCECodeVerifier();
  const challenge = await oidc.calculatePKCECodeChallenge(verifier);
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'launch/patient patient/*.rs offline_access',
    code_challenge: challenge, code_challenge_method: 'S256', state: 'oidc-state', aud: `${srv.url}/fhir` });
  const a = await fetch(url, { redirect: 'manual' });
  assert.equal(a.status, 302);
  const { redirect } = await approve(hana, a.headers.get('location').split('?')[1]);
  const tokens = await oidc.authorizationCodeGrant(config, redirect, { pkceCodeVerifier: verifier, expectedState: 'oidc-state' });
  assert.equal(tokens.patient, hana.personId);
  const read = await call(srv, 'GET', '/fhir/Observation', { token: tokens.access_token });
  assert.equal(read.body.total, 1);
  const again = await oidc.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(again.access_token && again.access_token !== tokens.access_token);
  assert.equal((await call(srv, 'GET', '/fhir/Observation', { token: again.access_token })).status, 200);
});
