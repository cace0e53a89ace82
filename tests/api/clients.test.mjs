// Two FHIR client libraries from npm, unmodified, against the server
// (issue 20): fhir-kit-client walks pages forward and back while records
// are written, creates conditionally and updates by query; @medplum/core's
// MedplumClient searches with the parameters it builds and creates with
// If-None-Exist. What they get is what the spec promises (R1.2); a
// partner's client, walking pages while the person withdraws, gets what
// the consent provides and nothing after (R3.4, R3.9).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'fhir-kit-client';
import { readFileSync } from 'node:fs';
import { startServer, call, signupAndLogin, quantity, decide, importFile, partner } from './helpers.mjs';

globalThis.WebSocket ??= class {}; // @medplum/core expects Node 22's global; subscriptions are not used
const { MedplumClient } = await import('@medplum/core');

let srv, root, p;
before(async () => {
  srv = await startServer();
  root = join(srv.data, '..');
  p = await signupAndLogin(srv);
  for (let d = 1; d <= 25; d++) {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: p.token, body: quantity('29463-7', 60 + d / 10, 'kg', `2026-10-${String(d).padStart(2, '0')}T07:00:00+09:00`) });
    assert.equal(r.status, 201, r.text);
  }
});
after(async () => {
  await srv.stop();
  rmSync(root, { recursive: true, force: true });
});

const reading = (id, value) => quantity('29463-7', value, 'kg', '2026-11-30T07:00:00+09:00', { identifier: [{ system: 'urn:example:scale', value: id }] });

test('R1.2 fhir-kit-client: nextPage walks every record once while others are written; prevPage comes back', async () => {
  const client = new Client({ baseUrl: `${srv.url}/fhir`, bearerToken: p.token });
  let bundle = await client.search({ resourceType: 'Observation', searchParams: { code: 'http://loinc.org|29463-7', _count: '4', _sort: '-date' } });
  const seen = [];
  const pages = [];
  while (bundle) {
    pages.push(bundle);
    seen.push(...(bundle.entry ?? []).map((e) => e.resource.id));
    // Written during the walk: not in it, and nothing repeats.
    await call(srv, 'POST', '/fhir/Observation', { token: p.token, body: quantity('29463-7', 99, 'kg', '2026-10-15T12:00:00+09:00') });
    bundle = (await client.nextPage({ bundle })) ?? null;
  }
  assert.equal(seen.length, 25);
  assert.equal(new Set(seen).size, 25);
  const back = await client.prevPage({ bundle: pages[3] });
  assert.deepEqual(back.entry.map((e) => e.resource.id), pages[2].entry.map((e) => e.resource.id));
});

test('R1.2 fhir-kit-client: conditional create and update by identifier', async () => {
  const client = new Client({ baseUrl: `${srv.url}/fhir`, bearerToken: p.token });
  const made = await client.create({ resourceType: 'Observation', body: reading('k-1', 70), options: { headers: { 'If-None-Exist': 'identifier=urn:example:scale|k-1' } } });
  const again = await client.create({ resourceType: 'Observation', body: reading('k-1', 70), options: { headers: { 'If-None-Exist': 'identifier=urn:example:scale|k-1' } } });
  assert.equal(again.id, made.id);
  const updated = await client.update({ resourceType: 'Observation', searchParams: { identifier: 'urn:example:scale|k-1' }, body: reading('k-1', 71) });
  assert.equal(updated.id, made.id);
  assert.equal(updated.meta.versionId, '2');
  const found = await client.search({ resourceType: 'Observation', searchParams: { identifier: 'urn:example:scale|k-1' } });
  assert.equal(found.entry.length, 1);
  assert.equal(found.entry[0].resource.valueQuantity.value, 71);
});

test('R1.2 MedplumClient: searches as it builds them, and createResourceIfNoneExist stores a reading once', async () => {
  const medplum = new MedplumClient({ baseUrl: `${srv.url}/`, fhirUrlPath: 'fhir', fetch: globalThis.fetch });
  medplum.setAccessToken(p.token);
  const bundle = await medplum.search('Observation', { code: '29463-7,8302-2', date: 'ge2026-10-20', _sort: '-date', _count: '3' });
  assert.equal(bundle.resourceType, 'Bundle');
  assert.equal(bundle.entry.length, 3);
  assert.ok(bundle.link.some((l) => l.relation === 'next'));
  const all = await medplum.searchResources('Observation', 'code=29463-7&_lastUpdated=ge2020-01-01&_summary=true&_count=100');
  assert.ok(all.length >= 25);
  assert.ok(all.every((o) => o.meta.tag.some((t) => t.code === 'SUBSETTED')));
  const first = await medplum.createResourceIfNoneExist(reading('m-1', 80), 'identifier=urn:example:scale|m-1');
  const second = await medplum.createResourceIfNoneExist(reading('m-1', 80), 'identifier=urn:example:scale|m-1');
  assert.equal(second.id, first.id);
  const count = await medplum.search('Observation', 'identifier=urn:example:scale|m-1&_summary=count');
  assert.equal(count.total, 1);
});

test('R1.2 R4.3 fhir-kit-client: $everything and a search by value, walked with nextPage', async () => {
  const client = new Client({ baseUrl: `${srv.url}/fhir`, bearerToken: p.token });
  let bundle = await client.operation({ name: '$everything', resourceType: 'Patient', id: p.personId, method: 'get', input: { _count: '7' } });
  const seen = [];
  while (bundle) {
    assert.equal(bundle.type, 'searchset');
    seen.push(...bundle.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`));
    bundle = (await client.nextPage({ bundle })) ?? null;
  }
  assert.equal(seen[0], `Patient/${p.personId}`);
  assert.equal(new Set(seen).size, seen.length, 'nothing twice');
  const everything = await call(srv, 'GET', `/fhir/Patient/${p.personId}/$everything?_summary=count`, { token: p.token });
  assert.equal(seen.length, everything.body.total);
  const heavy = await client.search({ resourceType: 'Observation', searchParams: { 'value-quantity': 'ge62.3||kg', _count: '1' } });
  const values = [];
  for (let b = heavy; b; b = (await client.nextPage({ bundle: b })) ?? null) values.push(...b.entry.map((e) => e.resource.valueQuantity.value));
  assert.ok(values.length >= 3 && values.every((v) => v >= 62.3), values.join(' '));
});

test('R1.2 MedplumClient: readPatientEverything and a search across types', async () => {
  const medplum = new MedplumClient({ baseUrl: `${srv.url}/`, fhirUrlPath: 'fhir', fetch: globalThis.fetch });
  medplum.setAccessToken(p.token);
  const all = await medplum.readPatientEverything(p.personId);
  assert.equal(all.type, 'searchset');
  assert.equal(all.entry[0].resource.resourceType, 'Patient');
  assert.ok(all.entry.every((e) => e.fullUrl.startsWith(`${srv.url}/fhir/`)));
  const across = await medplum.get(medplum.fhirUrl().toString() + '?_type=Observation&_count=2&_total=accurate');
  assert.equal(across.total, all.total - 1, 'the records, without the Patient');
});

test('R3.4 R3.9 fhir-kit-client as a partner: the vital signs only, never the checkup results, and nothing once consent is withdrawn mid-walk', async () => {
  const { token } = await partner(srv, 'Clinic C');
  const dana = await signupAndLogin(srv);
  assert.equal((await decide(srv, dana.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  for (let d = 1; d <= 6; d++)
    assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: dana.token, body: quantity('29463-7', 50 + d, 'kg', `2026-10-0${d}T07:00:00+09:00`) })).status, 201);
  const cda = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');
  assert.equal((await importFile(srv, dana, cda, 'application/xml')).status, 201);

  const client = new Client({ baseUrl: `${srv.url}/fhir`, bearerToken: token });
  const all = [];
  for (let b = await client.search({ resourceType: 'Observation', searchParams: { patient: dana.personId, _count: '4', _total: 'accurate', _include: '*' } });
    b; b = (await client.nextPage({ bundle: b })) ?? null) {
    if (b.total !== undefined) assert.equal(b.total, 6, 'the total counts the vital signs alone');
    all.push(...b.entry);
  }
  const types = all.map((e) => `${e.search.mode} ${e.resource.resourceType}`);
  assert.equal(types.filter((t) => t === 'match Observation').length, 6);
  assert.ok(!types.includes('include DocumentReference'), 'no document: the consent provides none');
  assert.ok(all.every((e) => e.resource.resourceType !== 'Observation' || e.resource.category?.[0]?.coding?.[0]?.code === 'vital-signs'));
  const value = await client.search({ resourceType: 'Observation', searchParams: { patient: dana.personId, 'value-quantity': 'gt0' } });
  assert.equal(value.entry.length, 6, 'a value search reaches no checkup result either');

  const first = await client.search({ resourceType: 'Observation', searchParams: { patient: dana.personId, _count: '2' } });
  assert.equal(first.entry.length, 2);
  assert.equal((await decide(srv, dana.token, [{ purpose: 'provision-partners', decision: 'withdraw' }])).status, 201);
  const next = await client.nextPage({ bundle: first });
  assert.equal(next.total, 0, 'withdrawn: the next page finds nothing');
  assert.deepEqual(next.entry ?? [], []);
});
