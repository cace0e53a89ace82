// Exports to the person (R4.3, R4.5): every current record as a FHIR R4
// Bundle (Patient/$everything) and the observations as CSV, streamed from
// one snapshot; only one's own; closed after a termination's deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, call, signupAndLogin, bloodPressure, quantity, sql } from './helpers.mjs';

const CDA = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');

test('R4.3 Patient/$everything is a Bundle of every current record; the CSV has one row per observation', async () => {
  const srv = await startServer();
  try {
    const me = await signupAndLogin(srv);
    const other = await signupAndLogin(srv);
    const bp = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(128, 82) });
    const upd = await call(srv, 'PUT', `/fhir/Observation/${bp.body.id}`, {
      token: me.token, body: { ...bloodPressure(126, 80), id: bp.body.id }, headers: { 'if-match': 'W/"1"' },
    });
    assert.equal(upd.status, 200, upd.text);
    await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: quantity('29463-7', 61.5, 'kg') });
    const imp = await call(srv, 'POST', '/api/v1/imports', { token: me.token, body: CDA, headers: { 'content-type': 'application/xml' } });
    assert.equal(imp.status, 201, imp.text);
    await call(srv, 'POST', '/fhir/Observation', { token: other.token, body: quantity('29463-7', 80.2, 'kg') });

    const p = await call(srv, 'GET', `/fhir/Patient/${me.personId}`, { token: me.token });
    assert.deepEqual(p.body, { resourceType: 'Patient', id: me.personId, identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${me.personId}` }] });
    // The file to keep: one collection Bundle, as the portal offers it.
    const all = await call(srv, 'GET', '/api/v1/me/export/fhir', { token: me.token });
    assert.equal(all.status, 200, all.text);
    assert.match(all.headers.get('content-type'), /application\/fhir\+json/);
    assert.equal(all.body.resourceType, 'Bundle');
    assert.equal(all.body.type, 'collection');
    const types = all.body.entry.map((e) => e.resource.resourceType);
    assert.equal(types[0], 'Patient');
    assert.equal(types.filter((t) => t === 'Observation').length, 2 + 4, 'vitals (current versions) and checkup results');
    assert.equal(types.filter((t) => t === 'DocumentReference').length, 1);
    const bpNow = all.body.entry.find((e) => e.resource.id === bp.body.id).resource;
    assert.equal(bpNow.meta.versionId, '2', 'the current version only');
    assert.ok(all.body.entry.every((e) => e.fullUrl === `${e.resource.resourceType}/${e.resource.id}`));
    assert.ok(!all.text.includes('80.2'), 'nobody else’s data');

    // Patient/$everything: the same, as a searchset with absolute fullUrls.
    const every = await call(srv, 'GET', `/fhir/Patient/${me.personId}/$everything`, { token: me.token });
    assert.equal(every.status, 200, every.text);
    assert.equal(every.body.type, 'searchset');
    assert.equal(every.body.total, 1 + 6 + 1, 'the Patient, six observations, one document');
    assert.equal(every.body.entry[0].resource.resourceType, 'Patient');
    assert.deepEqual(every.body.entry.map((e) => e.resource.id).sort(), all.body.entry.map((e) => e.resource.id).sort());
    assert.ok(every.body.entry.every((e) => e.fullUrl === `${srv.url}/fhir/${e.resource.resourceType}/${e.resource.id}`
      && e.search.mode === 'match'));
    assert.ok(!every.text.includes('80.2'), 'nobody else’s data');

    const csv = await call(srv, 'GET', '/api/v1/me/export/observations.csv', { token: me.token, json: false });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type'), /text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    assert.equal(lines[0], 'effective,effective_end,code_system,code,name,value,unit,value_system,value_display,systolic,diastolic,category,source,recorded_at');
    assert.equal(lines.length, 1 + 6);
    assert.ok(lines.some((l) => /,85354-9,.*,mm\[Hg\],,,126,80,vital-signs,/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /,29463-7,.*,61.5,kg,/.test(l)));
    assert.ok(lines.some((l) => /^2026-10-15,,urn:oid:1.2.392.200119.6.1005,9N001000000000001,身長,158.2,cm,,,/.test(l)));
    // A coded value: its code is the value, its system and display in their own columns (R4.3).
    const sugar = lines.find((l) => l.includes(',1A020000000190111,'));
    assert.match(sugar, /,1A020000000190111,[^,]*,[^,]+,,urn:oid:1\.2\.392\.200119\.6\.2\d+,[^,]*,,,laboratory,/, sugar);
    assert.equal(sql(srv.data, `SELECT group_concat(reason) FROM audit WHERE subject = '${me.personId}' AND action = 'disclosure.read'`),
      'export:fhir,export:csv');

    assert.equal((await call(srv, 'GET', `/fhir/Patient/${other.personId}/$everything`, { token: me.token })).status, 404);
    assert.equal((await call(srv, 'GET', `/fhir/Patient/${me.personId}/$everything`)).status, 401);
  } finally {
    await srv.stop();
  }
});

test('R4.5 after the export deadline of an announced termination, exports and the disclosure answer 410', async () => {
  const srv = await startServer();
  try {
    const me = await signupAndLogin(srv);
    // Ended at 23:30 UTC: 08:30 the next morning in Japan, the day a person there is told.
    const until = Date.parse('2026-12-06T23:30:00Z');
    sql(srv.data, `INSERT INTO terminations(announced_at, announced_by, export_until, erase_after) VALUES (1, 'test', ${until}, ${Date.now() + 86400000})`);
    for (const path of [`/fhir/Patient/${me.personId}/$everything`, '/api/v1/me/export/observations.csv', '/api/v1/me/disclosure']) {
      const r = await call(srv, 'GET', path, { token: me.token });
      assert.equal(r.status, 410, `${path}: ${r.text}`);
      assert.match(r.text, /export period ended at 2026-12-07T08:30:00\+09:00/);
    }
  } finally {
    await srv.stop();
  }
});
