// One record that cannot be opened (issue 17 item 5): its sealed body
// altered on disk. It used to make every search of its person a 500 and
// cut every export — the disclosure too — mid-stream, with a log that did
// not say which record. Now that record is named in the log and left out,
// and every answer stands whole, saying what it could not include.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, signupAndLogin, bloodPressure, sql } from './helpers.mjs';

let srv, me, ids;
before(async () => {
  srv = await startServer();
  me = await signupAndLogin(srv);
  ids = [];
  for (let i = 0; i < 3; i++) {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(120 + i, 80, `2026-11-0${i + 1}T07:00:00+09:00`) });
    assert.equal(r.status, 201);
    ids.push(r.body.id);
  }
  sql(srv.data, `UPDATE records SET body = randomblob(length(body)) WHERE id = '${ids[1]}'`);
});
after(async () => { await srv.stop(); });

const logged = () => srv.logs.filter((l) => l.includes('"record.unreadable"') && l.includes(ids[1]));

test('R2.9 a search leaves the unreadable record out, says so, and names it in the log', async () => {
  const r = await call(srv, 'GET', '/fhir/Observation?_count=10', { token: me.token });
  assert.equal(r.status, 200, r.text);
  const matches = r.body.entry.filter((e) => e.search.mode === 'match').map((e) => e.resource.id);
  assert.deepEqual(matches.sort(), [ids[0], ids[2]].sort());
  const outcome = r.body.entry.find((e) => e.search.mode === 'outcome');
  assert.equal(outcome.resource.resourceType, 'OperationOutcome');
  assert.match(outcome.resource.issue[0].diagnostics, new RegExp(`could not be opened and are not included: Observation/${ids[1]}/_history/1$`));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(logged().length >= 1, 'the log names the record');
  const one = await call(srv, 'GET', `/fhir/Observation/${ids[1]}`, { token: me.token });
  assert.equal(one.status, 500);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${ids[0]}`, { token: me.token })).status, 200);
});

test('R3.8 R4.3 $everything and the CSV stand whole without it; the Bundle names what it lacks', async () => {
  const r = await call(srv, 'GET', `/fhir/Patient/${me.personId}/$everything`, { token: me.token });
  assert.equal(r.status, 200, r.text);
  const obs = r.body.entry.filter((e) => e.resource.resourceType === 'Observation').map((e) => e.resource.id);
  assert.deepEqual(obs.sort(), [ids[0], ids[2]].sort());
  const oo = r.body.entry.find((e) => e.resource.resourceType === 'OperationOutcome');
  assert.match(oo.resource.issue[0].diagnostics, new RegExp(`Observation/${ids[1]}/_history/1`));
  const csv = await call(srv, 'GET', '/api/v1/me/export/observations.csv', { token: me.token, json: false });
  assert.equal(csv.status, 200);
  assert.equal(csv.text.trim().split('\r\n').length, 3, 'the header and two rows');
});

test('R3.8 the disclosure is whole JSON, marked incomplete, naming the record it could not include', async () => {
  const r = await fetch(`${srv.url}/api/v1/me/disclosure`, { headers: { authorization: `Bearer ${me.token}` } });
  assert.equal(r.status, 200);
  const d = JSON.parse(await r.text());
  assert.equal(d.records.length, 2);
  assert.equal(d.summary.complete, false);
  assert.deepEqual(d.summary.unreadable, [`Observation/${ids[1]}/_history/1`]);
});
