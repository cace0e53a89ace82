// Third-party provision (R3.4, R3.6, R3.7, R3.9): recipients and groups as
// data, client credentials, reading only under a live consent that covers
// the recipient (group membership, country), provision records disclosed to
// the person, and withdrawal or suspension stopping provision between pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, signupAndLogin, bloodPressure, sql, phr, decide, clientToken, nothingFound } from './helpers.mjs';

let srv;
const run = (...args) => {
  const r = phr([...args, '--data', srv.data, '--log-level', 'warn']);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout ? JSON.parse(r.stdout) : null;
};
// A recipient with an agreement on record (R2.7), as the operator sets one up.
const recipient = (name, country) => {
  const r = run('recipient', 'add', '--name', name, '--address', '1-1 Chiyoda, Tokyo', '--country', country, '--contact', 'desk@example.jp');
  run('recipient', 'agreement', '--recipient', r.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-2026-1',
    '--certification', 'Pマーク', '--cert-expires', '2028-03-31');
  return r;
};
const tokenFor = async (r) => {
  const t = await clientToken(srv, r.client_id, r.client_secret);
  assert.equal(t.status, 200, t.text);
  assert.equal(t.body.token_type, 'Bearer');
  return t.body.access_token;
};
const observations = (token, person, extra = '') => call(srv, 'GET', `/fhir/Observation?patient=${person.personId}${extra}`, { token });
const provisionCount = (person) => Number(sql(srv.data, `SELECT count(*) FROM provisions WHERE person_id = '${person.personId}'`));

let clinic, clinicToken, alice, bob;
before(async () => {
  srv = await startServer();
  run('recipient', 'group', '--group', 'demo-partners', '--name', 'Demo Health Partners');
  clinic = recipient('Clinic A', 'JP');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', clinic.id);
  clinicToken = await tokenFor(clinic);
  alice = await signupAndLogin(srv);
  bob = await signupAndLogin(srv);
  assert.equal((await decide(srv, alice.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  for (let i = 0; i < 3; i++) {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: bloodPressure(120 + i, 80, `2026-11-0${i + 1}T07:00:00+09:00`) });
    assert.equal(r.status, 201);
  }
  await call(srv, 'POST', '/fhir/Observation', { token: bob.token, body: bloodPressure(140, 90) });
});
after(async () => { await srv.stop(); });

test('R3.4 client credentials: a token for the right secret; a wrong one is refused and audited', async () => {
  const bad = await clientToken(srv, clinic.client_id, 'x'.repeat(64));
  assert.equal(bad.status, 401);
  const unknown = await clientToken(srv, '00000000-0000-4000-8000-000000000000', clinic.client_secret);
  assert.equal(unknown.status, 401);
  assert.equal(bad.body.error, 'invalid_client', 'an RFC 6749 error');
  assert.equal(unknown.body.error_description, bad.body.error_description, 'the same answer whether or not the client exists');
  const denied = sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'client.token' AND result = 'deny'");
  assert.equal(denied, '2');
  const stored = sql(srv.data, `SELECT hex(secret_hash) FROM recipients WHERE id = '${clinic.id}'`);
  assert.doesNotMatch(stored.toLowerCase(), new RegExp(clinic.client_secret));
});

test('R3.4 R3.7 a recipient reads a consenting person\'s records; the provision is recorded and disclosed to the person', async () => {
  const r = await observations(clinicToken, alice);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.entry.length, 3);
  assert.equal(provisionCount(alice), 1);
  const audit = sql(srv.data, `SELECT reason FROM audit WHERE actor = 'recipient:${clinic.id}' AND action = 'record.search' ORDER BY seq DESC LIMIT 1`);
  assert.equal(audit, 'purpose:provision-partners');
  const one = await call(srv, 'GET', `/fhir/Observation/${r.body.entry[0].resource.id}`, { token: clinicToken });
  assert.equal(one.status, 200);
  assert.equal(provisionCount(alice), 2);

  const mine = await call(srv, 'GET', '/api/v1/me/provisions', { token: alice.token });
  assert.equal(mine.status, 200, mine.text);
  const p = mine.body.provisions[0];
  assert.equal(p.recipient.name, 'Clinic A');
  assert.equal(p.recipient.country, 'JP');
  assert.equal(p.purpose, 'provision-partners');
  assert.equal(p.items.split(',').length, 3);
  const consentSeq = sql(srv.data, `SELECT seq FROM consents WHERE person_id = '${alice.personId}' AND purpose = 'provision-partners'`);
  assert.equal(String(p.consent_seq), consentSeq, 'the consent relied on is named');
  const prov = await call(srv, 'GET', '/fhir/Provenance', { token: alice.token });
  assert.equal(prov.status, 200);
  assert.equal(prov.body.entry[0].resource.resourceType, 'Provenance');
  assert.equal(prov.body.entry[0].resource.target.length, 3);
  assert.match(prov.body.entry[0].resource.target[0].reference, /^Observation\/[0-9a-f-]{36}\/_history\/1$/,
    'the version that went out');
  assert.equal(prov.body.entry[0].resource.agent[0].who.display, 'Clinic A');
  // Nobody else sees them.
  nothingFound(await call(srv, 'GET', `/fhir/Provenance?patient=${alice.personId}`, { token: bob.token }), 'another person');
  assert.equal(sql(srv.data, `SELECT result FROM audit WHERE actor = 'person:${bob.personId}' AND action = 'provision.read' ORDER BY seq DESC LIMIT 1`), 'deny');
});

test('R3.4 without consent, or for anything but reading, a recipient gets nothing and the attempt is audited', async () => {
  nothingFound(await observations(clinicToken, bob), 'no consent');
  assert.equal(provisionCount(bob), 0);
  const reason = sql(srv.data, `SELECT reason FROM audit WHERE actor = 'recipient:${clinic.id}' AND subject = '${bob.personId}' AND result = 'deny'`);
  assert.equal(reason, 'no-provision-basis');
  assert.equal((await call(srv, 'GET', '/fhir/Observation', { token: clinicToken })).status, 400);
  const before = Number(sql(srv.data, 'SELECT count(*) FROM records'));
  const write = await call(srv, 'POST', '/fhir/Observation', { token: clinicToken, body: { ...bloodPressure(120, 80), subject: { reference: `Patient/${alice.personId}` } } });
  assert.equal(write.status, 403, write.text);
  assert.equal(Number(sql(srv.data, 'SELECT count(*) FROM records')), before);
  assert.equal((await call(srv, 'GET', '/api/v1/me/consents', { token: clinicToken })).status, 403);
  assert.equal((await call(srv, 'POST', '/api/v1/logout', { token: clinicToken })).status, 403);
  nothingFound(await call(srv, 'GET', `/fhir/Consent?patient=${alice.personId}`, { token: clinicToken }), 'a recipient reads no consents');
});

test('R3.4 Q3-3 a member added to the consented group is covered; one outside it, or gone from it, is not', async () => {
  const lab = recipient('Lab B', 'JP');
  const labToken = await tokenFor(lab);
  nothingFound(await observations(labToken, alice));
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', lab.id);
  assert.equal((await observations(labToken, alice)).status, 200, 'no new consent needed inside the group');
  run('recipient', 'leave', '--group', 'demo-partners', '--recipient', lab.id);
  nothingFound(await observations(labToken, alice));
  const again = phr(['recipient', 'leave', '--group', 'demo-partners', '--recipient', lab.id, '--data', srv.data]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /not in group/);
  const history = sql(srv.data, `SELECT action FROM group_changes WHERE recipient_id = '${lab.id}' ORDER BY seq`);
  assert.deepEqual(history.split('\n'), ['join', 'leave']);
});

test('R3.4 Q3-5 a recipient abroad is provided only under a consent that names its country', async () => {
  const us = recipient('Research Inc.', 'US');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', us.id);
  const usToken = await tokenFor(us);
  nothingFound(await observations(usToken, alice));
  const g = await decide(srv, alice.token, [{ purpose: 'provision-partners', decision: 'grant', countries: ['US'] }]);
  assert.equal(g.status, 201, g.text);
  assert.equal((await observations(usToken, alice)).status, 200);
  assert.equal((await observations(clinicToken, alice)).status, 200, 'domestic members stay covered');
  const bad = await decide(srv, alice.token, [{ purpose: 'provision-partners', decision: 'grant', countries: ['usa'] }]);
  assert.equal(bad.status, 422);
  run('recipient', 'leave', '--group', 'demo-partners', '--recipient', us.id);
});

test('R3.6 a withdrawal between two pages stops the provision at once', async () => {
  const first = await observations(clinicToken, alice, '&_count=1');
  assert.equal(first.status, 200);
  const next = first.body.link.find((l) => l.relation === 'next');
  assert.ok(next, 'a next page');
  assert.equal((await decide(srv, alice.token, [{ purpose: 'provision-partners', decision: 'withdraw' }])).status, 201);
  const path = next.url.slice(next.url.indexOf('/fhir'));
  nothingFound(await call(srv, 'GET', path, { token: clinicToken }), 'the next page, after the withdrawal');
  const last = sql(srv.data, `SELECT result || ' ' || reason FROM audit WHERE actor = 'recipient:${clinic.id}' ORDER BY seq DESC LIMIT 1`);
  assert.equal(last, 'deny no-provision-basis');
  assert.equal((await decide(srv, alice.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  assert.equal((await observations(clinicToken, alice)).status, 200);
});

test('R3.9 suspending the provision purpose (or everything) stops provision; lifting resumes it', async () => {
  const suspend = (purpose, action) => call(srv, 'POST', '/api/v1/me/suspensions', { token: alice.token, body: { purpose, action } });
  assert.equal((await suspend('provision-partners', 'suspend')).status, 204);
  nothingFound(await observations(clinicToken, alice));
  // Suspending an optional purpose does not stop the person's own use.
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: bloodPressure(118, 77) })).status, 201);
  assert.equal((await suspend('provision-partners', 'lift')).status, 204);
  assert.equal((await observations(clinicToken, alice)).status, 200);
  assert.equal((await suspend('*', 'suspend')).status, 204);
  nothingFound(await observations(clinicToken, alice));
  assert.equal((await suspend('*', 'lift')).status, 204);
});

test('R2.3 the person sees who else touched their data, by role, and nobody else sees it', async () => {
  await call(srv, 'GET', `/fhir/Observation?patient=${alice.personId}`, { token: bob.token }); // a refused probe
  const r = await call(srv, 'GET', '/fhir/AuditEvent', { token: alice.token });
  assert.equal(r.status, 200, r.text);
  const events = r.body.entry.map((e) => e.resource);
  assert.ok(events.length > 0);
  assert.ok(events.every((e) => e.resourceType === 'AuditEvent'));
  const agents = new Set(events.map((e) => e.agent[0].type.text));
  assert.ok(agents.has('a recipient of provision'));
  assert.ok(agents.has('another person'));
  const read = events.find((e) => e.agent[0].type.text === 'a recipient of provision' && e.outcome === '0' && e.subtype[0].code === 'record.search');
  assert.ok(read.entity.some((x) => x.what.reference.startsWith('Observation/')));
  const probe = events.find((e) => e.agent[0].type.text === 'another person');
  assert.equal(probe.outcome, '4');
  assert.ok(!JSON.stringify(events).includes(bob.personId), 'other people are not named');
  assert.ok(!JSON.stringify(events).includes(clinic.id), 'recipients are shown by role');
  const times = events.map((e) => e.recorded);
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  nothingFound(await call(srv, 'GET', `/fhir/AuditEvent?patient=${alice.personId}`, { token: bob.token }), 'another person');
  nothingFound(await call(srv, 'GET', `/fhir/AuditEvent?patient=${alice.personId}`, { token: clinicToken }), 'a recipient');
  assert.equal(sql(srv.data, `SELECT result FROM audit WHERE actor = 'recipient:${clinic.id}' AND action = 'access-log.read' ORDER BY seq DESC LIMIT 1`), 'deny');
});

test('R2.7 nothing is provided to a recipient without an agreement in force: none, ended, or an expired certification', async () => {
  const bare = run('recipient', 'add', '--name', 'No Agreement KK', '--address', 'Osaka', '--country', 'JP', '--contact', 'x');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', bare.id);
  const token = await tokenFor(bare);
  nothingFound(await observations(token, alice), 'a member of the group, but no agreement');
  run('recipient', 'agreement', '--recipient', bare.id, '--signed', '2026-11-01', '--agreement-version', 'v1',
    '--certification', 'ISMS', '--cert-expires', '2026-01-01');
  nothingFound(await observations(token, alice), 'the certification has expired');
  run('recipient', 'agreement', '--recipient', bare.id, '--signed', '2026-11-02', '--agreement-version', 'v2');
  assert.equal((await observations(token, alice)).status, 200);
  run('recipient', 'agreement', '--recipient', bare.id, '--signed', '2026-11-03', '--agreement-version', 'v2', '--ended');
  assert.equal((await observations(token, alice)).status, 401, 'terminated: its tokens stop at once');
  const missing = phr(['recipient', 'agreement', '--recipient', '00000000-0000-4000-8000-000000000000', '--signed', '2026-11-01',
    '--agreement-version', 'v1', '--data', srv.data]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no recipient/);
  assert.throws(() => sql(srv.data, 'DELETE FROM agreements'), /append-only/);
  run('recipient', 'leave', '--group', 'demo-partners', '--recipient', bare.id);
});

test('R2.7 the registry of outside organisations: processors and partners with agreements; only recipients sign in', async () => {
  const proc = run('recipient', 'add', '--kind', 'processor', '--name', 'Cloud Hosting KK', '--address', 'Tokyo', '--country', 'JP', '--contact', 'ops@cloud.example.jp');
  assert.equal(proc.kind, 'processor');
  assert.equal(proc.client_secret, undefined, 'a processor gets no client credentials');
  run('recipient', 'agreement', '--recipient', proc.id, '--signed', '2026-10-01', '--agreement-version', '委託契約 2026',
    '--certification', 'ISMS', '--cert-expires', '2027-09-30');
  assert.equal(phr(['recipient', 'add', '--kind', 'friend', '--name', 'x', '--address', 'x', '--country', 'JP', '--contact', 'x', '--data', srv.data]).status, 1);
  const list = run('recipient', 'list');
  const p = list.find((o) => o.id === proc.id);
  assert.equal(p.agreement.version, '委託契約 2026');
  assert.equal(p.agreement.certification, 'ISMS');
  assert.equal(p.agreement.cert_expires, '2027-09-29T15:00:00.000Z');
  assert.ok(list.find((o) => o.id === clinic.id && o.kind === 'recipient' && o.agreement));
  // Even in the group, a processor is never provided data and never signs in.
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', proc.id);
  const t = await clientToken(srv, proc.id, 'x'.repeat(64));
  assert.equal(t.status, 401);
  run('recipient', 'leave', '--group', 'demo-partners', '--recipient', proc.id);
});

test('R3.7 provision records are never changed', () => {
  assert.throws(() => sql(srv.data, "UPDATE provisions SET items = ''"), /never changed/);
  assert.throws(() => sql(srv.data, 'DELETE FROM group_changes'), /append-only/);
  assert.equal(phr(['audit', 'verify', '--data', srv.data]).status, 0);
});

test('R3.10 R3.7 an erasure while a recipient reads: every answer is whole or a clean refusal; provision records stay', async () => {
  const carol = await signupAndLogin(srv);
  assert.equal((await decide(srv, carol.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  const ids = [];
  for (let i = 0; i < 12; i++) {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: carol.token, body: bloodPressure(130 + i, 85, `2026-11-${String(i + 1).padStart(2, '0')}T07:00:00+09:00`) });
    ids.push(r.body.id);
  }
  assert.equal((await observations(clinicToken, carol)).status, 200);
  const p = await call(srv, 'POST', '/api/v1/me/erasures', { token: carol.token, body: { scope: 'account' } });
  assert.equal(p.status, 201, p.text);
  assert.ok(p.body.will_keep.provision_records >= 1, 'the person is told the provision records stay');
  assert.match(p.body.will_keep.provision_records_until, /^20\d\d-\d\d-\d\d$/);

  const reads = [];
  for (let i = 0; i < 40; i++) {
    reads.push(i % 2 ? observations(clinicToken, carol) : call(srv, 'GET', `/fhir/Observation/${ids[i % ids.length]}`, { token: clinicToken }));
    if (i === 10) reads.push(call(srv, 'POST', `/api/v1/me/erasures/${p.body.id}/confirm`, { token: carol.token, body: { password: 'a long enough passphrase' } }));
  }
  const answers = await Promise.all(reads);
  const erasure = answers[11];
  assert.equal(erasure.status, 200, erasure.text);
  for (const a of answers.filter((x) => x !== erasure)) {
    assert.ok([200, 403, 404].includes(a.status), `status ${a.status}: ${a.text}`);
    if (a.status !== 200) continue;
    const resources = a.body.resourceType === 'Bundle' ? a.body.entry.map((e) => e.resource) : [a.body];
    if (a.body.resourceType === 'Bundle') assert.ok([0, 12].includes(resources.length), 'a page is whole (or, erased, empty), never half-erased');
    for (const r of resources) assert.ok(r.component[0].valueQuantity.value >= 130);
  }
  nothingFound(await observations(clinicToken, carol), 'erased');
  assert.ok(provisionCount(carol) >= 1, 'provision records stay for their retention period');
});
