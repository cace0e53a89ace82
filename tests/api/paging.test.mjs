// Paging that holds while data changes (issue 20 item 1; R1.2 search, R3.6
// what a recipient is provided). A phone app syncs by following `next`:
// records added or corrected during its walk must cause no duplicates and
// no gaps. The walk reads the records as they stood at its first page, each
// in its version current when its page is read; the links are opaque and
// work only for the caller and the search that got them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, quantity, sql, decide, importFile, nothingFound, partner } from './helpers.mjs';

const CDA = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');

let srv, root;
before(async () => {
  srv = await startServer();
  root = join(srv.data, '..');
});
after(async () => {
  await srv.stop();
  rmSync(root, { recursive: true, force: true });
});

const pathOf = (url) => { const u = new URL(url); return u.pathname + u.search; };
const link = (b, rel) => b.link.find((l) => l.relation === rel)?.url;
// A weighing on day d (1..28) at minute m of 08:xx, of value v.
const weighing = (d, m, v) => quantity('29463-7', v, 'kg', `2026-10-${String(d).padStart(2, '0')}T08:${String(m).padStart(2, '0')}:00+09:00`);

async function weighings(who, n) {
  const made = [];
  for (let i = 0; i < n; i++) {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: who.token, body: weighing(1 + (i % 28), i % 60, 50 + i / 10) });
    assert.equal(r.status, 201, r.text);
    made.push(r.body);
  }
  return made;
}

test('R1.2 a walk of pages sees every record once while 40 are added and 10 corrected during it', async () => {
  const p = await signupAndLogin(srv);
  const original = await weighings(p, 60);
  const corrected = new Map();
  let path = '/fhir/Observation?code=29463-7&_count=7';
  const seen = [];
  let pages = 0, added = 0;
  while (path) {
    const page = await call(srv, 'GET', path, { token: p.token });
    assert.equal(page.status, 200, page.text);
    for (const e of page.body.entry ?? []) seen.push(e.resource);
    pages += 1;
    // Between pages: five new weighings on days spread over the month, and
    // (on the first two pages' turns) five corrections that move a record
    // to the other end of the order: seen ones forward, unseen ones back.
    for (let i = 0; i < 5 && added < 40; i++, added++) {
      const r = await call(srv, 'POST', '/fhir/Observation', { token: p.token, body: weighing(1 + ((added * 7) % 28), 59, 99) });
      assert.equal(r.status, 201, r.text);
    }
    if (pages <= 2) {
      const seenIds = new Set(seen.map((o) => o.id));
      const pick = original.filter((o) => !corrected.has(o.id) && (pages === 1 ? seenIds.has(o.id) : !seenIds.has(o.id))).slice(0, 5);
      for (const o of pick) {
        const day = pages === 1 ? 1 : 28; // newest first: seen ones to the end, unseen ones to the pages already read
        const body = { ...weighing(day, 30, 70 + corrected.size), id: o.id };
        const u = await call(srv, 'PUT', `/fhir/Observation/${o.id}`, { token: p.token, body, headers: { 'if-match': `W/"${o.meta.versionId}"` } });
        assert.equal(u.status, 200, u.text);
        corrected.set(o.id, body.valueQuantity.value);
      }
    }
    const next = link(page.body, 'next');
    path = next ? pathOf(next) : null;
  }
  assert.equal(corrected.size, 10);
  const ids = seen.map((o) => o.id);
  assert.equal(new Set(ids).size, ids.length, 'no record twice');
  assert.deepEqual([...ids].sort(), original.map((o) => o.id).sort(), 'the 60 that were there at the first page, no more, no fewer');
  // A corrected record is sent as it is when its page is read: those corrected
  // before their page came show the corrected value.
  const unseenCorrected = seen.filter((o) => corrected.has(o.id) && o.meta.versionId === '2');
  assert.ok(unseenCorrected.length >= 5, 'the records corrected before their page came are sent corrected');
  for (const o of unseenCorrected) assert.equal(o.valueQuantity.value, corrected.get(o.id));
  // A new search sees everything as it is now.
  const now = await call(srv, 'GET', '/fhir/Observation?code=29463-7&_count=0', { token: p.token });
  assert.equal(now.body.total, 100);
});

test('R1.2 links go forward and back, first returns to the start, and sort keys combine', async () => {
  const p = await signupAndLogin(srv);
  await weighings(p, 12);
  // Two codes on the same days, to sort by code then date.
  for (let d = 1; d <= 4; d++)
    assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: p.token, body: quantity('8302-2', 160 + d, 'cm', `2026-10-0${d}T09:00:00+09:00`) })).status, 201);
  const ids = (b) => (b.entry ?? []).map((e) => e.resource.id);
  const p1 = await call(srv, 'GET', '/fhir/Observation?_count=5&_sort=code,-date', { token: p.token });
  assert.equal(p1.status, 200, p1.text);
  assert.equal(link(p1.body, 'previous'), undefined, 'nothing before the first page');
  const p2 = await call(srv, 'GET', pathOf(link(p1.body, 'next')), { token: p.token });
  const p3 = await call(srv, 'GET', pathOf(link(p2.body, 'next')), { token: p.token });
  const p4 = await call(srv, 'GET', pathOf(link(p3.body, 'next')), { token: p.token });
  assert.equal(link(p4.body, 'next'), undefined);
  const all = [p1, p2, p3, p4].flatMap((x) => x.body.entry.map((e) => e.resource));
  assert.equal(all.length, 16);
  // code ascending (29463-7 before 8302-2 as text), then newest first.
  const keys = all.map((o) => [o.code.coding[0].code, o.effectiveDateTime]);
  for (let i = 1; i < keys.length; i++) {
    const [c0, d0] = keys[i - 1], [c1, d1] = keys[i];
    assert.ok(c0 < c1 || (c0 === c1 && Date.parse(d0) >= Date.parse(d1)), `order at ${i}: ${keys[i - 1]} then ${keys[i]}`);
  }
  const back = await call(srv, 'GET', pathOf(link(p3.body, 'previous')), { token: p.token });
  assert.deepEqual(ids(back.body), ids(p2.body), 'previous of page 3 is page 2');
  const backAgain = await call(srv, 'GET', pathOf(link(back.body, 'previous')), { token: p.token });
  assert.deepEqual(ids(backAgain.body), ids(p1.body));
  assert.equal(link(backAgain.body, 'previous'), undefined, 'reached backwards, the first page says so');
  assert.deepEqual(ids((await call(srv, 'GET', pathOf(link(p3.body, 'first')), { token: p.token })).body), ids(p1.body));
  // self gives the same page again, even after more records are written.
  await weighings(p, 3);
  assert.deepEqual(ids((await call(srv, 'GET', pathOf(link(p2.body, 'self')), { token: p.token })).body), ids(p2.body));
});

test('R1.2 a page link is refused to another caller, for another search, altered, or doubled', async () => {
  const p = await signupAndLogin(srv);
  const other = await signupAndLogin(srv);
  await weighings(p, 6);
  await weighings(other, 6);
  const first = await call(srv, 'GET', '/fhir/Observation?_count=2', { token: p.token });
  const next = new URL(link(first.body, 'next'));
  const token = next.searchParams.get('_page');
  const refused = async (path, who, why) => {
    const r = await call(srv, 'GET', path, { token: who.token });
    assert.equal(r.status, 400, `${why}: ${r.text}`);
    assert.equal(r.body.resourceType, 'OperationOutcome');
    assert.equal(r.body.issue[0].expression[0], '_page', why);
  };
  await refused(pathOf(next), other, 'another person');
  await refused(`/fhir/Observation?_count=3&_page=${token}`, p, 'another page size');
  await refused(`/fhir/Observation?_count=2&code=29463-7&_page=${token}`, p, 'another filter');
  await refused(`/fhir/MedicationDispense?_count=2&_page=${token}`, p, 'another type');
  const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
  await refused(`/fhir/Observation?_count=2&_page=${flipped}`, p, 'altered');
  await refused(`/fhir/Observation?_count=2&_page=${token.slice(0, 20)}`, p, 'cut short');
  await refused(`/fhir/Observation?_count=2&_page=${token}&_page=${token}`, p, 'twice');
  assert.equal((await call(srv, 'GET', pathOf(next), { token: p.token })).status, 200, 'the owner follows it');
});

test('R3.6 a recipient walks pages of what it is provided only: full pages, and a withdrawal stops the next page', async () => {
  const clinic = await partner(srv, 'Clinic P');
  const dana = await signupAndLogin(srv);
  assert.equal((await decide(srv, dana.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  // Vital signs and a checkup's results the consent does not provide: a
  // page filtered after reading would come back short.
  for (let d = 1; d <= 9; d++) {
    assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: dana.token, body: weighing(d, 0, 60 + d) })).status, 201);
  }
  assert.equal((await importFile(srv, dana, CDA, 'application/xml')).status, 201);
  const own = await call(srv, 'GET', '/fhir/Observation?_count=0', { token: dana.token });
  assert.ok(own.body.total > 9, `the checkup's results are Observations too (${own.body.total})`);
  const get = (path) => call(srv, 'GET', path, { token: clinic.token });
  const p1 = await get(`/fhir/Observation?patient=${dana.personId}&_count=4`);
  assert.equal(p1.status, 200, p1.text);
  assert.equal(p1.body.entry.length, 4);
  const p2 = await get(pathOf(link(p1.body, 'next')));
  assert.equal(p2.body.entry.length, 4, 'a full page: what is not provided does not shorten it');
  for (const e of [...p1.body.entry, ...p2.body.entry]) assert.equal(e.resource.code.coding[0].code, '29463-7');
  // The person withdraws: the next page is refused, and the refusal recorded.
  assert.equal((await decide(srv, dana.token, [{ purpose: 'provision-partners', decision: 'withdraw' }])).status, 201);
  const before = Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'recipient:${clinic.id}' AND result = 'deny' AND subject = '${dana.personId}'`));
  nothingFound(await get(pathOf(link(p2.body, 'next'))), 'after the withdrawal');
  const after_ = Number(sql(srv.data, `SELECT count(*) FROM audit WHERE actor = 'recipient:${clinic.id}' AND result = 'deny' AND subject = '${dana.personId}'`));
  assert.equal(after_, before + 1);
});

test('R1.2 the links of an empty first page begin a walk of their own when followed later', async () => {
  const p = await signupAndLogin(srv);
  const empty = await call(srv, 'GET', '/fhir/Observation?_count=3', { token: p.token });
  assert.equal(empty.body.total, 0);
  await weighings(p, 7);
  const first = await call(srv, 'GET', pathOf(link(empty.body, 'first')), { token: p.token });
  assert.equal(first.body.entry.length, 3);
  await weighings(p, 5); // written during this walk: not in it
  const seen = first.body.entry.map((e) => e.resource.id);
  let next = link(first.body, 'next');
  while (next) {
    const page = await call(srv, 'GET', pathOf(next), { token: p.token });
    seen.push(...page.body.entry.map((e) => e.resource.id));
    next = link(page.body, 'next');
  }
  assert.equal(seen.length, 7, 'the seven there when the walk began, once each');
  assert.equal(new Set(seen).size, 7);
});
