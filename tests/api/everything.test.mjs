// Patient/$everything and the search across types (GET /fhir?_type=…) (R4.3;
// FHIR R4 Patient-everything and 3.1.1.1): searchsets with absolute
// fullUrls, paged by the same links as any search, narrowed by _type,
// _since, start and end; only one's own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, call, signupAndLogin, bloodPressure, quantity, importFile } from './helpers.mjs';

const OKUSURI = readFileSync(new URL('../fixtures/jahis/tc-minimal-valid.txt', import.meta.url));

let srv, me, other, early, since;
const get = (path, who = me, headers = {}) => call(srv, 'GET', path.replace(srv.url, ''), { token: who.token, headers });
const walk = async (path) => {
  const pages = [];
  for (let url = path; url;) {
    const page = await get(url);
    assert.equal(page.status, 200, page.text);
    pages.push(page.body);
    url = page.body.link.find((l) => l.relation === 'next')?.url;
  }
  return pages;
};
const names = (b) => (b.entry || []).filter((e) => e.search.mode !== 'outcome').map((e) => `${e.resource.resourceType}/${e.resource.id}`);

before(async () => {
  srv = await startServer();
  me = await signupAndLogin(srv);
  other = await signupAndLogin(srv);
  early = [];
  for (let i = 0; i < 5; i++) {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(120 + i, 80, `2026-10-0${i + 1}T07:00:00+09:00`) });
    assert.equal(r.status, 201, r.text);
    early.push(r.body.id);
  }
  assert.equal((await importFile(srv, me, OKUSURI, 'text/plain')).status, 201);
  await new Promise((resolve) => setTimeout(resolve, 20));
  since = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const w = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: quantity('29463-7', 61.5, 'kg', '2026-11-20T07:00:00+09:00') });
  assert.equal(w.status, 201, w.text);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: other.token, body: quantity('29463-7', 80.2, 'kg') })).status, 201);
});
after(async () => { await srv.stop(); });

test('R4.3 $everything walked 3 a page: the Patient once, on the first page, and every record once', async () => {
  const whole = await get(`/fhir/Patient/${me.personId}/$everything`);
  assert.equal(whole.status, 200, whole.text);
  assert.equal(whole.body.type, 'searchset');
  const all = names(whole.body);
  assert.equal(all[0], `Patient/${me.personId}`);
  assert.equal(whole.body.total, all.length);
  assert.ok(all.some((n) => n.startsWith('MedicationDispense/')) && all.some((n) => n.startsWith('DocumentReference/')));
  assert.ok(!whole.text.includes('80.2'), 'nobody else’s data');

  const pages = await walk(`/fhir/Patient/${me.personId}/$everything?_count=3`);
  assert.ok(pages.length >= 3, `${pages.length} pages`);
  const paged = pages.flatMap(names);
  assert.deepEqual([...paged].sort(), [...all].sort(), 'no duplicate, no gap');
  assert.equal(paged.filter((n) => n.startsWith('Patient/')).length, 1);
  assert.ok(pages.every((p) => p.entry.every((e) => e.fullUrl === `${srv.url}/fhir/${e.resource.resourceType}/${e.resource.id}`)));
  const prev = pages[1].link.find((l) => l.relation === 'previous');
  assert.deepEqual(names((await get(prev.url)).body), names(pages[0]), 'previous gives the first page back, the Patient with it');
});

test('R4.3 $everything narrowed: _type, _since (written since), start and end (of care); _summary=count', async () => {
  const obs = await get(`/fhir/Patient/${me.personId}/$everything?_type=Observation`);
  assert.ok(names(obs.body).every((n) => n.startsWith('Observation/')) && names(obs.body).length === 6, obs.text);
  const withPatient = await get(`/fhir/Patient/${me.personId}/$everything?_type=Patient,MedicationDispense`);
  assert.deepEqual(names(withPatient.body).map((n) => n.split('/')[0]).sort(), ['MedicationDispense', 'Patient']);
  const patientOnly = await get(`/fhir/Patient/${me.personId}/$everything?_type=Patient`);
  assert.deepEqual(names(patientOnly.body), [`Patient/${me.personId}`]);

  const recent = await get(`/fhir/Patient/${me.personId}/$everything?_since=${encodeURIComponent(since)}&_type=Observation`);
  assert.equal(names(recent.body).length, 1, recent.text);
  assert.equal(recent.body.entry[0].resource.valueQuantity.value, 61.5);

  const october = await get(`/fhir/Patient/${me.personId}/$everything?_type=Observation&start=2026-10-02&end=2026-10-04`);
  assert.deepEqual(names(october.body).sort(), early.slice(1, 4).map((id) => `Observation/${id}`).sort());

  const count = await get(`/fhir/Patient/${me.personId}/$everything?_summary=count`);
  assert.equal(count.body.total, names((await get(`/fhir/Patient/${me.personId}/$everything`)).body).length);
  assert.equal((count.body.entry || []).length, 0);
});

test('R4.3 $everything refuses what it cannot apply, with the parameter named; only one\'s own', async () => {
  const bad = await get(`/fhir/Patient/${me.personId}/$everything?_type=Condition`);
  assert.equal(bad.status, 400, bad.text);
  assert.deepEqual(bad.body.issue[0].expression, ['_type']);
  assert.match(bad.body.issue[0].diagnostics, /Observation, AllergyIntolerance, MedicationRequest, MedicationDispense/);
  const strict = await get(`/fhir/Patient/${me.personId}/$everything?code=x`, me, { prefer: 'handling=strict' });
  assert.equal(strict.status, 400, strict.text);
  assert.deepEqual(strict.body.issue[0].expression, ['code']);
  const lenient = await get(`/fhir/Patient/${me.personId}/$everything?code=x&_count=1`);
  assert.equal(lenient.status, 200);
  assert.match(lenient.body.entry.at(-1).resource.issue[0].diagnostics, /code/);
  assert.ok(!lenient.body.link.find((l) => l.relation === 'next').url.includes('code='), 'links leave out what was not applied');
  assert.equal((await get(`/fhir/Patient/${other.personId}/$everything`)).status, 404);
  assert.equal((await call(srv, 'GET', `/fhir/Patient/${me.personId}/$everything`)).status, 401);
});

test('FHIR search across types: GET /fhir with _type, sorted and paged, one\'s own records only', async () => {
  const all = await get('/fhir?_total=accurate');
  assert.equal(all.status, 200, all.text);
  assert.equal(all.body.total, names((await get(`/fhir/Patient/${me.personId}/$everything`)).body).length - 1, 'the records, no Patient');
  const two = await walk('/fhir?_type=Observation,MedicationDispense&_sort=-date&_count=2');
  const seen = two.flatMap(names);
  assert.equal(seen.filter((n) => n.startsWith('Observation/')).length, 6);
  assert.ok(seen.some((n) => n.startsWith('MedicationDispense/')));
  assert.ok(!seen.some((n) => n.startsWith('DocumentReference/')));
  assert.ok(two[0].link.find((l) => l.relation === 'self').url.startsWith(`${srv.url}/fhir?_type=`));
  const dates = two.flatMap((p) => p.entry.map((e) => e.resource.effectiveDateTime ?? e.resource.whenHandedOver)).filter(Boolean);
  assert.deepEqual([...dates].sort().reverse(), dates, 'newest first across types');
  const onlyMine = await get(`/fhir?patient=${other.personId}`);
  assert.equal(onlyMine.status, 200);
  assert.equal(onlyMine.body.total, 0, 'someone else’s: nothing found');
  const code = await get('/fhir?code=85354-9', me, { prefer: 'handling=strict' });
  assert.equal(code.status, 400, 'code belongs to a type: search that type');
});
