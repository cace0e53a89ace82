// Conditional create (issue 20 item 4; R1.2): a device app that sends the
// same reading twice, or twice at once, stores it once. If-None-Exist names
// the reading by its identifier (or any search parameters); one match is
// the answer (200, nothing written), several are refused (412), none
// creates. The decision is made on the writer, with the write.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, quantity, sql } from './helpers.mjs';

let srv, root, p;
before(async () => {
  srv = await startServer();
  root = join(srv.data, '..');
  p = await signupAndLogin(srv);
});
after(async () => {
  await srv.stop();
  rmSync(root, { recursive: true, force: true });
});

const DEVICE = 'urn:example:scale-42';
const reading = (n, value = 60) => quantity('29463-7', value, 'kg', '2026-11-20T07:00:00+09:00', { identifier: [{ system: DEVICE, value: `r-${n}` }] });
const count = () => Number(sql(srv.data, `SELECT count(*) FROM records WHERE person_id = '${p.personId}' AND current = 1`));
const create = (body, cond, headers = {}) => call(srv, 'POST', '/fhir/Observation', { token: p.token, body, headers: { 'if-none-exist': cond, ...headers } });

test('R1.2 If-None-Exist: none creates (201), one is the answer (200, the same record, nothing written)', async () => {
  const before_ = count();
  const first = await create(reading(1), `identifier=${DEVICE}|r-1`);
  assert.equal(first.status, 201, first.text);
  const again = await create(reading(1, 99), `identifier=${encodeURIComponent(DEVICE)}%7Cr-1`);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.id, first.body.id, 'the record that matched');
  assert.equal(again.body.valueQuantity.value, 60, 'as it was: the second body is not written');
  assert.equal(again.headers.get('etag'), 'W/"1"');
  assert.match(again.headers.get('location'), new RegExp(`/fhir/Observation/${first.body.id}/_history/1$`));
  assert.equal(count(), before_ + 1);
  // Found by identifier too.
  const found = await call(srv, 'GET', `/fhir/Observation?identifier=${DEVICE}|r-1`, { token: p.token });
  assert.deepEqual(found.body.entry.map((e) => e.resource.id), [first.body.id]);
  assert.equal((await call(srv, 'GET', '/fhir/Observation?identifier=r-1', { token: p.token })).body.total, 1);
  assert.equal((await call(srv, 'GET', '/fhir/Observation?identifier=other|r-1', { token: p.token })).body.total, 0);
});

test('R1.2 the same reading sent ten times at once is stored once', async () => {
  const before_ = count();
  const answers = await Promise.all(Array.from({ length: 10 }, () => create(reading(2), `identifier=${DEVICE}|r-2`)));
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 200, 201], answers.map((a) => a.text).join('\n'));
  assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
  assert.equal(count(), before_ + 1);
});

test('R1.2 several matches refuse the create (412); a condition not understood is 400; another person\'s records never match', async () => {
  await create(reading(3), 'identifier=x|none');
  await create(quantity('29463-7', 61, 'kg', '2026-11-21T07:00:00+09:00'), 'identifier=x|none2');
  const before_ = count();
  const many = await create(reading(4), 'code=29463-7&date=ge2026-11-20');
  assert.equal(many.status, 412, many.text);
  assert.equal(many.body.issue[0].code, 'multiple-matches');
  assert.deepEqual(many.body.issue[0].expression, ['If-None-Exist']);
  for (const bad of ['foo=bar', '_count=1', 'identifier=', 'code:exact=x', 'value-quantity=gt1', '%zz']) {
    const r = await create(reading(5), bad);
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
  }
  assert.equal(count(), before_, 'nothing written by any of them');
  const other = await signupAndLogin(srv);
  const theirs = await call(srv, 'POST', '/fhir/Observation', { token: other.token, body: reading(1), headers: { 'if-none-exist': `identifier=${DEVICE}|r-1` } });
  assert.equal(theirs.status, 201, 'p\'s reading r-1 is not theirs');
});

test('R1.2 R3.12 conditional update: PUT Observation?identifier=… corrects the one it names, creates when none, refuses several', async () => {
  const put = (query, body, headers = {}) => call(srv, 'PUT', `/fhir/Observation?${query}`, { token: p.token, body, headers });
  const created = await put(`identifier=${DEVICE}|r-10`, reading(10, 70));
  assert.equal(created.status, 201, created.text);
  const corrected = await put(`identifier=${DEVICE}|r-10`, reading(10, 71));
  assert.equal(corrected.status, 200, corrected.text);
  assert.equal(corrected.body.id, created.body.id);
  assert.equal(corrected.body.meta.versionId, '2');
  assert.equal(corrected.body.valueQuantity.value, 71);
  const stale = await put(`identifier=${DEVICE}|r-10`, reading(10, 72), { 'if-match': 'W/"1"' });
  assert.equal(stale.status, 412, 'If-Match holds as on PUT by id');
  const history = await call(srv, 'GET', `/fhir/Observation/${created.body.id}/_history`, { token: p.token });
  assert.equal(history.body.total, 2);
  const several = await put('code=29463-7', reading(11));
  assert.equal(several.status, 412, several.text);
  assert.equal(several.body.issue[0].code, 'multiple-matches');
  assert.equal((await put('foo=bar', reading(12))).status, 400);
  // Someone else's reading is never the one a query names.
  const other = await signupAndLogin(srv);
  const theirs = await call(srv, 'PUT', `/fhir/Observation?identifier=${DEVICE}|r-10`, { token: other.token, body: reading(10, 50) });
  assert.equal(theirs.status, 201, 'a new record of their own');
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${created.body.id}`, { token: p.token })).body.valueQuantity.value, 71);
});
