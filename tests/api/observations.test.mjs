// Vital-sign Observations over FHIR (R1.1, R1.2, R3.12, R4.1): create, read,
// correct with history, search, and every refusal changing nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer, call, signupAndLogin, bloodPressure, quantity, sql } from './helpers.mjs';
import { validateResource } from './profiles.mjs';

let srv, me;
before(async () => {
  srv = await startServer();
  me = await signupAndLogin(srv);
});
after(async () => srv.stop());

const count = (token) => call(srv, 'GET', '/fhir/Observation?_count=0', { token }).then((r) => r.body.total);

test('R1.1 R1.2 a blood pressure is created with category, source and provenance', async () => {
  const body = JSON.stringify(bloodPressure(128, 82));
  const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
  assert.equal(r.headers.get('etag'), 'W/"1"');
  assert.match(r.headers.get('location'), new RegExp(`/fhir/Observation/${r.body.id}/_history/1$`));
  const o = r.body;
  assert.equal(o.subject.reference, `Patient/${me.personId}`);
  assert.equal(o.meta.versionId, '1');
  const tags = Object.fromEntries(o.meta.tag.map((t) => [t.system, t.code]));
  assert.equal(tags['urn:phr:data-category'], '3');
  assert.equal(tags['urn:phr:source'], 'self-measured');
  const prov = o.extension.find((e) => e.url === 'urn:phr:provenance');
  const sub = Object.fromEntries(prov.extension.map((e) => [e.url, e.valueString ?? e.valueInstant]));
  assert.equal(sub.recordedBy, `person:${me.personId}`);
  assert.equal(sub.channel, 'fhir-api');
  assert.equal(sub.originalSha256, createHash('sha256').update(body).digest('hex'));
  const read = await call(srv, 'GET', `/fhir/Observation/${o.id}`, { token: me.token });
  assert.equal(read.status, 200);
  assert.deepEqual(read.body, o);
});

test('R1.2 every supported kind is accepted; decimals keep their precision', async () => {
  const kinds = [
    quantity('29463-7', 68.4, 'kg'), quantity('8302-2', 171.5, 'cm'), quantity('39156-5', 23.3, 'kg/m2'),
    quantity('8310-5', 36.6, 'Cel'), quantity('59408-5', 98, '%'), quantity('8867-4', 62, '/min'),
    quantity('41653-7', 104, 'mg/dL'), quantity('15074-8', 5.6, 'mmol/L'), quantity('55423-8', 8421, '{steps}'),
  ];
  for (const k of kinds) {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: k });
    assert.equal(r.status, 201, `${k.code.coding[0].code}: ${r.text}`);
  }
  const raw = JSON.stringify(quantity('29463-7', 0, 'kg')).replace('"value":0', '"value":70.50');
  const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: raw });
  assert.equal(r.status, 201);
  assert.match(r.text, /"value":70\.50/);
});

test('R2.9 bad input gets a 4xx OperationOutcome and stores nothing', async () => {
  const before = await count(me.token);
  const auditBefore = sql(srv.data, 'SELECT count(*) FROM audit');
  const cases = [
    [JSON.stringify(bloodPressure(0, 80)), 422, /systolic/],
    [JSON.stringify(bloodPressure(900, 80)), 422, /plausible range/],
    // Found by fuzz/fuzz_vitals.c: a component unit other than mm[Hg] read past the list of units.
    [JSON.stringify(bloodPressure(120, 80)).replaceAll('"code":"mm[Hg]"', '"code":"kPa"'), 422, /unit 'kPa' is not accepted/],
    ['{"resourceType": "Observation", ', 400, /malformed JSON/],
    [JSON.stringify({ ...quantity('29463-7', '70', 'kg') }), 400, /JSON number/],
    [JSON.stringify(quantity('12345-6', 70, 'kg')), 422, /no supported vital-sign code/],
    [JSON.stringify(quantity('29463-7', 70, 'stone')), 422, /unit 'stone'/],
    [JSON.stringify({ resourceType: 'Patient' }), 400, /Observation/],
    [JSON.stringify({ ...quantity('29463-7', 70, 'kg'), colour: 'red' }), 400, /unknown element 'colour'/],
    [JSON.stringify(quantity('29463-7', 70, 'kg', '2999-01-01T00:00:00Z')), 422, /future/],
    [JSON.stringify({ ...quantity('29463-7', 70, 'kg'), note: [{ text: 'x'.repeat(300000) }] }), 413, /larger than/],
  ];
  for (const [body, status, says] of cases) {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body });
    assert.equal(r.status, status, r.text.slice(0, 300));
    assert.equal(r.body.resourceType, 'OperationOutcome');
    assert.match(r.body.issue[0].diagnostics, says);
  }
  const wrongType = await call(srv, 'POST', '/fhir/Observation', {
    token: me.token, body: JSON.stringify(quantity('29463-7', 70, 'kg')), headers: { 'content-type': 'text/plain' },
  });
  assert.equal(wrongType.status, 415);
  assert.equal(await count(me.token), before);
  // Refused input touched no one's data: only the two count searches were audited.
  assert.equal(Number(sql(srv.data, 'SELECT count(*) FROM audit')), Number(auditBefore) + 1);
});

test('R3.12 a correction keeps the earlier version; history and vread show both', async () => {
  const c = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: quantity('29463-7', 70.2, 'kg') });
  const id = c.body.id;
  const fixed = { ...quantity('29463-7', 72.0, 'kg'), id, status: 'corrected' };
  const u = await call(srv, 'PUT', `/fhir/Observation/${id}`, { token: me.token, body: fixed, headers: { 'if-match': 'W/"1"' } });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.body.meta.versionId, '2');
  assert.equal(u.headers.get('etag'), 'W/"2"');
  const stale = await call(srv, 'PUT', `/fhir/Observation/${id}`, { token: me.token, body: fixed, headers: { 'if-match': 'W/"1"' } });
  assert.equal(stale.status, 412);
  const mismatch = await call(srv, 'PUT', `/fhir/Observation/${id}`, { token: me.token, body: { ...fixed, id: 'other' } });
  assert.equal(mismatch.status, 400);
  const h = await call(srv, 'GET', `/fhir/Observation/${id}/_history`, { token: me.token });
  assert.equal(h.status, 200);
  assert.equal(h.body.type, 'history');
  assert.deepEqual(h.body.entry.map((e) => e.resource.meta.versionId), ['2', '1']);
  // bdl-3 and bdl-4: each entry says how the version came and was answered.
  assert.deepEqual(h.body.entry.map((e) => [e.request.method, e.request.url, e.response.status, e.response.etag]),
    [['PUT', `Observation/${id}`, '200 OK', 'W/"2"'], ['POST', 'Observation', '201 Created', 'W/"1"']]);
  assert.ok(h.body.entry.every((e) => Date.parse(e.response.lastModified) > 0));
  validateResource(h.body);
  const v1 = await call(srv, 'GET', `/fhir/Observation/${id}/_history/1`, { token: me.token });
  assert.equal(v1.body.valueQuantity.value, 70.2);
  const cur = await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token });
  assert.equal(cur.body.valueQuantity.value, 72);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}/_history/3`, { token: me.token })).status, 404);
});

test('R1.2 reads carry ETag and Last-Modified; a client that has the version gets 304; HEAD; 405 says what is allowed', async () => {
  const c = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: quantity('29463-7', 61.5, 'kg') });
  const id = c.body.id;
  const read = await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token });
  assert.equal(read.headers.get('etag'), 'W/"1"');
  const modified = read.headers.get('last-modified');
  assert.match(modified, /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
  assert.equal(new Date(modified).getTime(), Math.floor(Date.parse(read.body.meta.lastUpdated) / 1000) * 1000);
  const same = await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token, headers: { 'if-none-match': 'W/"1"' } });
  assert.equal(same.status, 304);
  assert.equal(same.text, '');
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token, headers: { 'if-none-match': '"1"' } })).status, 304);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token,
    headers: { 'if-modified-since': new Date(Date.now() + 60000).toUTCString() } })).status, 304);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token,
    headers: { 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' } })).status, 200);
  const u = await call(srv, 'PUT', `/fhir/Observation/${id}`, { token: me.token,
    body: { ...quantity('29463-7', 62.0, 'kg'), id, status: 'corrected' }, headers: { 'if-match': 'W/"1"' } });
  assert.equal(u.status, 200, u.text);
  const changed = await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token, headers: { 'if-none-match': 'W/"1"' } });
  assert.equal(changed.status, 200, 'a newer version is sent');
  assert.equal(changed.headers.get('etag'), 'W/"2"');
  const v1 = await call(srv, 'GET', `/fhir/Observation/${id}/_history/1`, { token: me.token });
  assert.equal(v1.headers.get('etag'), 'W/"1"');
  const other = await signupAndLogin(srv);
  const theirs = await call(srv, 'GET', `/fhir/Observation/${id}`, { token: other.token, headers: { 'if-none-match': '*' } });
  assert.equal(theirs.status, 404, 'a conditional read decides nothing the gate did not');
  assert.equal(theirs.headers.get('etag'), null);
  const head = await fetch(`${srv.url}/fhir/Observation/${id}`, { method: 'HEAD', headers: { authorization: `Bearer ${me.token}` } });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('etag'), 'W/"2"');
  const del = await call(srv, 'PATCH', `/fhir/Observation/${id}`, { token: me.token });
  assert.equal(del.status, 405);
  assert.match(del.headers.get('allow'), /GET/);
});

test('R1.2 Prefer: return=minimal gives no body, return=OperationOutcome says what was done; the record is written either way', async () => {
  const minimal = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: quantity('29463-7', 63.1, 'kg'),
    headers: { prefer: 'return=minimal' } });
  assert.equal(minimal.status, 201);
  assert.equal(minimal.text, '');
  const location = minimal.headers.get('location');
  assert.match(location, /\/fhir\/Observation\/[0-9a-f-]{36}\/_history\/1$/);
  assert.equal(minimal.headers.get('etag'), 'W/"1"');
  const id = location.split('/').at(-3);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token })).body.valueQuantity.value, 63.1);
  const outcome = await call(srv, 'PUT', `/fhir/Observation/${id}`, { token: me.token,
    body: { ...quantity('29463-7', 63.4, 'kg'), id, status: 'corrected' },
    headers: { 'if-match': 'W/"1"', prefer: 'return=OperationOutcome' } });
  assert.equal(outcome.status, 200, outcome.text);
  assert.equal(outcome.body.resourceType, 'OperationOutcome');
  assert.match(outcome.body.issue[0].diagnostics, new RegExp(`Observation/${id} version 2`));
  const whole = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: quantity('29463-7', 63.2, 'kg'),
    headers: { prefer: 'return=representation' } });
  assert.equal(whole.body.resourceType, 'Observation');
});

test('R1.2 JSON only: _format or an Accept for XML is 406 before anything else; _pretty is taken', async () => {
  const c = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: quantity('29463-7', 64.0, 'kg') });
  const id = c.body.id;
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}?_format=xml`, { token: me.token })).status, 406);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token,
    headers: { accept: 'application/fhir+xml' } })).status, 406);
  assert.equal((await call(srv, 'GET', '/fhir/metadata', { headers: { accept: 'application/fhir+xml' } })).status, 406);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}?_format=json`, { token: me.token })).status, 200);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${id}`, { token: me.token,
    headers: { accept: 'application/fhir+xml;q=0.5, application/fhir+json' } })).status, 200);
  assert.equal((await call(srv, 'GET', '/fhir/Observation?_pretty=true&_format=application/fhir%2Bjson', { token: me.token })).status, 200);
  const all = await call(srv, 'GET', '/fhir/Observation?_total=accurate', { token: me.token });
  const counted = await call(srv, 'GET', '/fhir/Observation?_summary=count&_count=5', { token: me.token });
  assert.equal(counted.status, 200, counted.text);
  assert.equal(counted.body.total, all.body.total, '_summary=count: the total alone');
  assert.deepEqual(counted.body.entry ?? [], []);
  assert.equal((await call(srv, 'GET', '/fhir/Observation?_summary=sometimes', { token: me.token })).status, 400);
});

test('R1.2 search by code, date range, category, with sorting and paging', async () => {
  const p = await signupAndLogin(srv);
  for (let d = 1; d <= 9; d++) {
    const when = `2026-10-0${d}T08:00:00+09:00`;
    assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: p.token, body: bloodPressure(120 + d, 80, when) })).status, 201);
    assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: p.token, body: quantity('29463-7', 60 + d, 'kg', when) })).status, 201);
  }
  const all = await call(srv, 'GET', '/fhir/Observation', { token: p.token });
  assert.equal(all.body.type, 'searchset');
  assert.equal(all.body.total, 18);
  const bp = await call(srv, 'GET', '/fhir/Observation?code=http://loinc.org|85354-9&_sort=date', { token: p.token });
  assert.equal(bp.body.total, 9);
  assert.equal(bp.body.entry[0].resource.component[0].valueQuantity.value, 121);
  const range = await call(srv, 'GET', '/fhir/Observation?code=29463-7&date=ge2026-10-03&date=lt2026-10-06', { token: p.token });
  assert.deepEqual(range.body.entry.map((e) => e.resource.valueQuantity.value), [65, 64, 63]);
  const day = await call(srv, 'GET', '/fhir/Observation?date=2026-10-04', { token: p.token });
  assert.equal(day.body.total, 2);
  const gt = await call(srv, 'GET', '/fhir/Observation?code=29463-7&date=gt2026-10-08T08:00:00%2B09:00', { token: p.token });
  assert.equal(gt.body.total, 1);
  const le = await call(srv, 'GET', '/fhir/Observation?code=29463-7&date=le2026-10-02', { token: p.token });
  assert.equal(le.body.total, 2);
  // total is counted on request, and given anyway when the first page is the last.
  const first = await call(srv, 'GET', '/fhir/Observation?_count=5', { token: p.token });
  assert.equal(first.body.total, undefined);
  const counted = await call(srv, 'GET', '/fhir/Observation?_count=5&_total=accurate', { token: p.token });
  assert.equal(counted.body.total, 18);
  const whole = await call(srv, 'GET', '/fhir/Observation?_count=18', { token: p.token });
  assert.equal(whole.body.total, 18);
  assert.equal(whole.body.link.find((l) => l.relation === 'next'), undefined);
  const cat = await call(srv, 'GET', '/fhir/Observation?category=vital-signs&_count=0', { token: p.token });
  assert.equal(cat.body.total, 18);
  const own = await call(srv, 'GET', `/fhir/Observation?patient=Patient/${p.personId}&_count=0`, { token: p.token });
  assert.equal(own.body.total, 18);
  // Paging: next links walk the whole set without repeats.
  const seen = new Set();
  let path = '/fhir/Observation?_count=5';
  let pages = 0;
  while (path) {
    const page = await call(srv, 'GET', path, { token: p.token });
    assert.equal(page.status, 200);
    for (const e of page.body.entry) seen.add(e.resource.id);
    const next = page.body.link.find((l) => l.relation === 'next');
    path = next ? new URL(next.url).pathname + new URL(next.url).search : null;
    pages += 1;
  }
  assert.equal(pages, 4);
  assert.equal(seen.size, 18);
  const clamped = await call(srv, 'GET', '/fhir/Observation?_count=9999', { token: me.token });
  assert.equal(clamped.status, 200, 'a _count past the limit is clamped, not refused');
  for (const bad of ['?_count=-1', '?date=2026-13-01', '?foo=bar', '?_sort=value', '?code=,', '?_offset=5']) {
    const r = await call(srv, 'GET', `/fhir/Observation${bad}`, { token: p.token, headers: { prefer: 'handling=strict' } });
    assert.equal(r.status, 400, bad);
    assert.equal(r.body.resourceType, 'OperationOutcome');
  }
});

test('R1.2 the CapabilityStatement states what is served', async () => {
  const r = await call(srv, 'GET', '/fhir/metadata');
  assert.equal(r.status, 200);
  assert.equal(r.body.resourceType, 'CapabilityStatement');
  assert.equal(r.body.fhirVersion, '4.0.1');
  const obs = r.body.rest[0].resource.find((x) => x.type === 'Observation');
  assert.deepEqual(obs.interaction.map((i) => i.code).sort(), ['create', 'history-instance', 'read', 'search-type', 'update', 'vread']);
  assert.deepEqual(obs.searchParam.map((s) => s.name).sort(), ['_count', '_elements', '_id', '_lastUpdated', '_sort', '_summary', '_total', 'category', 'code', 'combo-code-value-quantity', 'component-code',
    'component-code-value-quantity', 'component-value-quantity', 'date', 'identifier', 'patient', 'value-quantity']);
  assert.deepEqual(r.body.rest[0].resource.map((x) => x.type),
    ['Observation', 'AllergyIntolerance', 'MedicationRequest', 'MedicationDispense', 'MedicationStatement', 'Immunization', 'DocumentReference', 'Binary', 'Consent', 'Provenance', 'AuditEvent', 'Group', 'Patient']);
  for (const type of ['AllergyIntolerance', 'MedicationRequest', 'MedicationDispense', 'MedicationStatement', 'Immunization']) {
    const med = r.body.rest[0].resource.find((x) => x.type === type);
    assert.deepEqual(med.interaction.map((i) => i.code).sort(), ['history-instance', 'read', 'search-type', 'vread'], 'imported, never written one by one');
    assert.deepEqual(med.searchParam.map((s) => s.name).sort(), ['_count', '_elements', '_id', '_lastUpdated', '_sort', '_summary', '_total', 'code', 'date', 'patient']);
  }
  const docs = r.body.rest[0].resource.find((x) => x.type === 'DocumentReference');
  assert.deepEqual(docs.searchParam.map((s) => s.name).sort(), ['_count', '_elements', '_id', '_lastUpdated', '_sort', '_summary', '_total', 'date', 'patient']);
  const patient = r.body.rest[0].resource.find((x) => x.type === 'Patient');
  assert.deepEqual(patient.operation.map((o) => o.name), ['everything', 'export', 'sphr', 'phr-export']);
  assert.deepEqual(r.body.rest[0].operation.map((o) => o.name), ['export'], 'Bulk Data for recipients');
});

test('responses carry the security headers', async () => {
  for (const path of ['/', '/fhir/metadata', '/api/v1/health']) {
    const r = await call(srv, 'GET', path, { json: false });
    assert.match(r.headers.get('content-security-policy'), /default-src 'self'/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  }
  const home = await call(srv, 'GET', '/', { json: false });
  assert.equal(home.status, 200);
  assert.match(home.text, /<script type="module" src="\/js\/app.js"><\/script>/, 'the portal, its script a file');
  assert.doesNotMatch(home.text, /<script>|style=/, 'no inline script or style');
  const js = await call(srv, 'GET', '/js/app.js', { json: false });
  assert.match(js.headers.get('content-type'), /text\/javascript/);
  assert.equal((await call(srv, 'GET', '/js/../../etc/passwd', { json: false })).status, 404);
  assert.equal((await call(srv, 'POST', '/js/app.js', { body: 'x', json: false })).status, 405);
});
