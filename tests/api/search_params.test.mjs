// The search parameters client libraries send (issue 20 item 2; R1.2 search),
// with FHIR R4's semantics (http://hl7.org/fhir/R4/search.html): comma-OR and
// repeated-AND, :not, |code, every date prefix at any precision, _lastUpdated,
// _summary, _elements, _include, the Patient compartment, and lenient or
// strict handling of what is not understood. Every answer is validated
// against the R4 definitions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, bloodPressure, quantity, sql } from './helpers.mjs';
import { validateResource } from './profiles.mjs';

let srv, root, p, other;
const made = {};
before(async () => {
  srv = await startServer();
  root = join(srv.data, '..');
  p = await signupAndLogin(srv);
  other = await signupAndLogin(srv);
  const post = async (name, body) => {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: p.token, body });
    assert.equal(r.status, 201, r.text);
    made[name] = r.body;
  };
  await post('bp1', bloodPressure(121, 81, '2026-10-01T08:00:00+09:00'));
  await post('bp2', bloodPressure(122, 82, '2026-10-02T08:00:00+09:00'));
  await post('w1', quantity('29463-7', 61, 'kg', '2026-10-01T08:30:00+09:00'));
  await post('w2', quantity('29463-7', 62, 'kg', '2026-10-03T08:30:00+09:00'));
  await post('h1', quantity('8302-2', 170, 'cm', '2026-10-04T09:15:00+09:00'));
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: other.token, body: quantity('29463-7', 80, 'kg', '2026-10-01T08:30:00+09:00') })).status, 201);
});
after(async () => {
  await srv.stop();
  rmSync(root, { recursive: true, force: true });
});

async function search(query, headers = {}) {
  const r = await call(srv, 'GET', `/fhir/Observation${query}`, { token: p.token, headers });
  assert.equal(r.status, 200, `${query}: ${r.text}`);
  const issues = await validateResource(r.body);
  assert.deepEqual(issues, [], `${query}: valid R4`);
  return r.body;
}
const ids = (b) => (b.entry ?? []).filter((e) => e.search.mode === 'match').map((e) => e.resource.id).sort();
const of = (...names) => names.map((n) => made[n].id).sort();

test('R1.2 tokens: comma is any of, a repeated parameter all of, :not none of; |code has no system, system| any code', async () => {
  assert.deepEqual(ids(await search('?code=29463-7,8302-2')), of('w1', 'w2', 'h1'));
  assert.deepEqual(ids(await search('?code=http://loinc.org|29463-7,http://loinc.org|85354-9')), of('bp1', 'bp2', 'w1', 'w2'));
  assert.deepEqual(ids(await search('?code=29463-7,8302-2&code=8302-2')), of('h1'), 'repeated: both must hold');
  assert.deepEqual(ids(await search('?code:not=29463-7')), of('bp1', 'bp2', 'h1'));
  assert.deepEqual(ids(await search('?code:not=29463-7,85354-9')), of('h1'));
  assert.deepEqual(ids(await search('?code=|29463-7')), [], 'every stored code has its system');
  assert.deepEqual(ids(await search('?code=http://loinc.org|')), of('bp1', 'bp2', 'w1', 'w2', 'h1'));
  assert.deepEqual(ids(await search('?code=http://snomed.info/sct|')), []);
  assert.deepEqual(ids(await search('?category=vital-signs,laboratory')).length, 5);
  assert.deepEqual(ids(await search('?category:not=vital-signs')), []);
  assert.deepEqual(ids(await search(`?_id=${made.w1.id},${made.h1.id}`)), of('w1', 'h1'));
  assert.deepEqual(ids(await search(`?_id:not=${made.w1.id}&code=29463-7`)), of('w2'));
});

test('R1.2 values: value-quantity, component-code, component- and combo-code-value-quantity, with FHIR\'s precision and prefixes', async () => {
  assert.deepEqual(ids(await search('?value-quantity=61')), of('w1'), '61 is [60.5, 61.5)');
  assert.deepEqual(ids(await search('?value-quantity=61.0')), of('w1'));
  assert.deepEqual(ids(await search('?value-quantity=62.4')), [], '62.4 is [62.35, 62.45)');
  assert.deepEqual(ids(await search('?value-quantity=gt61')), of('w2', 'h1'));
  assert.deepEqual(ids(await search('?value-quantity=gt61||kg')), of('w2'), 'the unit by its code');
  assert.deepEqual(ids(await search('?value-quantity=le61|http://unitsofmeasure.org|kg')), of('w1'));
  assert.deepEqual(ids(await search('?value-quantity=gt61|http://example.org|kg')), [], 'another system');
  assert.deepEqual(ids(await search('?value-quantity=ap60')), of('w1', 'w2'), 'within a tenth');
  assert.deepEqual(ids(await search('?value-quantity=ne61&code=29463-7')), of('w2'));
  assert.deepEqual(ids(await search('?value-quantity=61,170')), of('w1', 'h1'), 'comma: any of');
  assert.deepEqual(ids(await search('?value-quantity=gt60&value-quantity=lt62')), of('w1'), 'repeated: all of');
  assert.deepEqual(ids(await search('?component-code=http://loinc.org|8480-6')), of('bp1', 'bp2'));
  assert.deepEqual(ids(await search('?component-code-value-quantity=http://loinc.org|8480-6$gt121')), of('bp2'));
  assert.deepEqual(ids(await search('?component-value-quantity=lt82')), of('bp1'), 'a diastolic of 81');
  assert.deepEqual(ids(await search('?combo-code-value-quantity=29463-7$gt61.5')), of('w2'));
  assert.deepEqual(ids(await search('?combo-code-value-quantity=8462-4$lt82,29463-7$lt62')), of('bp1', 'w1'));
  // Paged, totalled and counted as any search: the values are tested on each record opened.
  const first = await search('?code=29463-7&value-quantity=gt0&_count=1&_total=accurate');
  assert.equal(first.total, 2);
  assert.deepEqual(ids(first), of('w2'), 'newest first');
  const next = await call(srv, 'GET', first.link.find((l) => l.relation === 'next').url.replace(srv.url, ''), { token: p.token });
  assert.deepEqual(ids(next.body), of('w1'));
  assert.ok(!next.body.link.some((l) => l.relation === 'next'), 'the last page');
  assert.equal((await search('?value-quantity=gt100&_summary=count')).total, 1, 'the height: a pressure\'s values are its components\'');
  for (const q of ['?value-quantity=abc', '?value-quantity=xx5', '?component-code-value-quantity=8480-6', '?combo-code-value-quantity=$5',
    '?value-quantity=5|kg', '?component-code=']) {
    const r = await call(srv, 'GET', `/fhir/Observation${q}`, { token: p.token });
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assert.deepEqual(r.body.issue[0].expression, [q.slice(1, q.indexOf('='))]);
  }
});

test('R1.2 values past the first batch read: a match among 250 records is found, once, on any page', async () => {
  const q = await signupAndLogin(srv);
  const bundle = (values, day) => ({ resourceType: 'Bundle', type: 'transaction', entry: values.map((v, i) => ({
    request: { method: 'POST', url: 'Observation' },
    resource: quantity('29463-7', v, 'kg', `2026-09-${String(day + Math.floor(i / 24)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00+09:00`),
  })) });
  // Newest first: the two heavy ones are the oldest, past 248 lighter ones.
  const tx = [bundle([95, 91, ...Array(98).fill(50)], 1), bundle(Array(100).fill(51), 6), bundle(Array(50).fill(52), 11)];
  for (const b of tx) assert.equal((await call(srv, 'POST', '/fhir', { token: q.token, body: b })).status, 200);
  const pages = [];
  for (let url = '/fhir/Observation?value-quantity=gt90&_count=1&_total=accurate'; url;) {
    const r = await call(srv, 'GET', url.replace(srv.url, ''), { token: q.token });
    assert.equal(r.status, 200, r.text);
    pages.push(r.body);
    url = r.body.link.find((l) => l.relation === 'next')?.url;
  }
  assert.equal(pages[0].total, 2);
  assert.deepEqual(pages.map((b) => b.entry.map((e) => e.resource.valueQuantity.value)), [[91], [95]]);
});

test('R1.2 code:text: the names of the codes (Japanese or English, any case), not the records\' sealed text', async () => {
  assert.deepEqual(ids(await search('?code:text=血圧')), of('bp1', 'bp2'));
  assert.deepEqual(ids(await search('?code:text=WEIGHT')), of('w1', 'w2'));
  assert.deepEqual(ids(await search('?code:text=体重,身長')), of('w1', 'w2', 'h1'), 'comma: any of');
  assert.deepEqual(ids(await search('?code:text=体重&date=ge2026-10-02')), of('w2'));
  assert.deepEqual(ids(await search('?code:text=no-such-name')), []);
  const med = await call(srv, 'GET', '/fhir/MedicationDispense?code:text=x', { token: p.token });
  assert.equal(med.status, 400, 'no names are kept for medicines');
  assert.deepEqual(med.body.issue[0].expression, ['code:text']);
});

test('R1.2 dates: every prefix, at the precision given; a time without a zone is read in Japan time', async () => {
  const q = async (date) => ids(await search(`?code=29463-7&date=${encodeURIComponent(date)}`));
  assert.deepEqual(await q('2026-10'), of('w1', 'w2'));
  assert.deepEqual(await q('2026-10-01'), of('w1'));
  assert.deepEqual(await q('2026-10-01T08:30'), of('w1'), 'minutes, no zone: Japan time');
  assert.deepEqual(await q('2026-10-01T08:30+09:00'), of('w1'));
  assert.deepEqual(await q('2026-10-01T08:31'), []);
  assert.deepEqual(await q('ne2026-10-01'), of('w2'));
  assert.deepEqual(await q('gt2026-10-01'), of('w2'));
  assert.deepEqual(await q('ge2026-10-01'), of('w1', 'w2'));
  assert.deepEqual(await q('lt2026-10-03'), of('w1'));
  assert.deepEqual(await q('le2026-10-03'), of('w1', 'w2'));
  assert.deepEqual(await q('sa2026-10-01'), of('w2'), 'starts after the day');
  assert.deepEqual(await q('eb2026-10-03'), of('w1'), 'ends before the day');
  assert.deepEqual(await q('ap2026-10-02'), of('w1', 'w2'), 'approximately: a tenth of the way from now');
  assert.deepEqual(await q('ap2026-12-06T12:00'), [], 'near now, approximately is narrow');
  const r = await call(srv, 'GET', '/fhir/Observation?date=xx2026', { token: p.token });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.issue[0].expression, ['date']);
});

test('R1.2 _lastUpdated: when the version was written, with the same prefixes', async () => {
  const b = await search(`?_lastUpdated=ge${encodeURIComponent(made.w2.meta.lastUpdated)}`);
  assert.ok(ids(b).includes(made.w2.id));
  assert.ok(!ids(b).includes(made.bp1.id), 'written before');
  assert.deepEqual(ids(await search('?_lastUpdated=lt2020-01-01')), []);
  assert.equal(ids(await search('?_lastUpdated=ge2020-01-01')).length, 5);
});

test('R1.2 _summary and _elements send part of each resource, tagged SUBSETTED; count and false as before', async () => {
  const tagged = (r) => (r.meta?.tag ?? []).some((t) => t.code === 'SUBSETTED');
  const s = await search('?_summary=true&code=29463-7');
  for (const e of s.entry) {
    assert.ok(tagged(e.resource));
    assert.ok(e.resource.valueQuantity, 'value[x] is a summary element');
    assert.equal(e.resource.category, undefined, 'category is not (R4)');
  }
  const el = await search('?_elements=effective,subject&code=29463-7');
  for (const e of el.entry) {
    assert.ok(tagged(e.resource));
    assert.ok(e.resource.effectiveDateTime);
    assert.ok(e.resource.code && e.resource.status, 'mandatory elements are kept');
    assert.equal(e.resource.valueQuantity, undefined);
  }
  const data = await search('?_summary=data&code=29463-7');
  assert.ok(data.entry.every((e) => e.resource.valueQuantity && !tagged(e.resource)));
  assert.equal((await search('?_summary=count')).total, 5);
  const both = await call(srv, 'GET', '/fhir/Observation?_summary=true&_elements=code', { token: p.token });
  assert.equal(both.status, 400);
});

test('R1.2 _include=Observation:patient gives the person once, as an include entry', async () => {
  const b = await search('?code=29463-7&_include=Observation:patient');
  const inc = b.entry.filter((e) => e.search.mode === 'include');
  assert.equal(inc.length, 1);
  assert.equal(inc[0].resource.resourceType, 'Patient');
  assert.equal(inc[0].resource.id, p.personId);
  assert.equal(inc[0].fullUrl, `${srv.url}/fhir/Patient/${p.personId}`);
  const none = await search('?code=12345-6&_include=*');
  assert.deepEqual(none.entry ?? [], [], 'nothing matched: no Patient');
  const bad = await call(srv, 'GET', '/fhir/Observation?_include=Observation:performer', { token: p.token });
  assert.equal(bad.status, 400);
});

test('R1.2 the Patient compartment: Patient/{id}/Observation is the same search, and another person\'s finds nothing', async () => {
  const b = await call(srv, 'GET', `/fhir/Patient/${p.personId}/Observation?code=29463-7`, { token: p.token });
  assert.equal(b.status, 200, b.text);
  assert.deepEqual(ids(b.body), of('w1', 'w2'));
  assert.match(b.body.link.find((l) => l.relation === 'self').url, new RegExp(`/fhir/Patient/${p.personId}/Observation\\?code=29463-7&_page=`));
  const theirs = await call(srv, 'GET', `/fhir/Patient/${other.personId}/Observation`, { token: p.token });
  assert.equal(theirs.status, 200);
  assert.equal(theirs.body.total, 0);
  const meds = await call(srv, 'GET', `/fhir/Patient/${p.personId}/MedicationDispense`, { token: p.token });
  assert.equal(meds.status, 200);
});

test('R1.2 handling: lenient (the default) leaves out what it does not understand and says so; strict refuses it', async () => {
  const b = await search('?code=29463-7&foo=bar&performer=x');
  assert.deepEqual(ids(b), of('w1', 'w2'));
  const outcome = b.entry.find((e) => e.search.mode === 'outcome');
  assert.ok(outcome, 'an outcome entry');
  assert.equal(outcome.resource.issue[0].code, 'not-supported');
  assert.match(outcome.resource.issue[0].diagnostics, /foo, performer/);
  const self = b.link.find((l) => l.relation === 'self').url;
  assert.ok(!self.includes('foo') && !self.includes('performer'), 'the links name what was applied only');
  const strict = await call(srv, 'GET', '/fhir/Observation?code=29463-7&foo=bar', { token: p.token, headers: { prefer: 'handling=strict' } });
  assert.equal(strict.status, 400);
  assert.deepEqual(strict.body.issue[0].expression, ['foo']);
  for (const q of ['?code:exact=1', '?code:text=', '?_sort=value', '?code=,']) {
    const r = await call(srv, 'GET', `/fhir/Observation${q}`, { token: p.token });
    assert.equal(r.status, 400, q);
    assert.ok(r.body.issue[0].expression?.length, `${q}: the expression names the parameter`);
  }
});

test('R1.2 GET /fhir/Patient finds the caller\'s own; someone else\'s finds nothing (recorded); other parameters are refused', async () => {
  const own = await call(srv, 'GET', '/fhir/Patient', { token: p.token });
  assert.equal(own.status, 200, own.text);
  assert.deepEqual(await validateResource(own.body), []);
  assert.equal(own.body.total, 1);
  assert.equal(own.body.entry[0].resource.id, p.personId);
  assert.equal((await call(srv, 'GET', `/fhir/Patient?_id=${p.personId}`, { token: p.token })).body.total, 1);
  const denied = () => Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'person:${p.personId}' AND result = 'deny' AND subject = '${other.personId}'`));
  const before_ = denied();
  const theirs = await call(srv, 'GET', `/fhir/Patient?_id=${other.personId}`, { token: p.token });
  assert.equal(theirs.status, 200);
  assert.equal(theirs.body.total, 0);
  assert.equal(denied(), before_ + 1, 'the attempt is recorded');
  assert.equal((await call(srv, 'GET', '/fhir/Patient?_id=nobody', { token: p.token })).body.total, 0);
  assert.equal((await call(srv, 'GET', '/fhir/Patient?name=x', { token: p.token })).status, 400);
});

test('R3.12 DELETE is refused with the reason: records are corrected, never deleted; erasure is the way', async () => {
  const r = await call(srv, 'DELETE', `/fhir/Observation/${made.w1.id}`, { token: p.token });
  assert.equal(r.status, 405);
  assert.match(r.headers.get('allow'), /GET/);
  assert.match(r.body.issue[0].diagnostics, /never deleted.*erasure/);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${made.w1.id}`, { token: p.token })).status, 200);
});
