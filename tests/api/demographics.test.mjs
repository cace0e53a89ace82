// The person examined, as an imported checkup says (issue 22 item 3, issue
// 23 item 3): sex, date of birth, postal code and the prefecture the
// address begins with kept sealed with the person's data key — never in
// clear in the store — from the newest checkup only, shown in the
// disclosure (R3.8), gone with the account (R3.10). Name, the rest of the
// address text and insurer numbers are not kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, call, signupAndLogin, importFile, sql, PASSWORD } from './helpers.mjs';

const CDA = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');
const BUNDLE = readFileSync(new URL('../fixtures/eCheckupReport-Sample-01.json', import.meta.url), 'utf8');
// The same checkup on another day, the person at another address.
const onDay = (day, postal, address = '東京都千代田区千代田1-1') => CDA.replaceAll('20261015', day)
  .replace('<postalCode>100-0001</postalCode>', `<postalCode>${postal}</postalCode>`).replace('東京都千代田区千代田1-1', address);
const hex = (s) => Buffer.from(s, 'utf8').toString('hex').toUpperCase();

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const disclosed = async (me) => (await call(srv, 'GET', '/api/v1/me/disclosure', { token: me.token })).body.demographics;
const sealedHex = (me) => sql(srv.data, `SELECT hex(sealed) FROM demographics WHERE person_id = '${me.personId}'`);

test('R3.8 R4.2 a checkup\'s sex, birth date and postal code are kept sealed, the newest checkup\'s only, and disclosed', async () => {
  const me = await signupAndLogin(srv);
  assert.equal(await disclosed(me), null, 'nothing known before an import');
  assert.equal((await importFile(srv, me, CDA, 'application/xml')).status, 201);
  assert.deepEqual(await disclosed(me), { sex: 'female', birth_date: '1980-04-01', postal_code: '100-0001', prefecture: '13', as_of: '2026-10-15' });
  const stored = sealedHex(me);
  for (const clear of ['1980-04-01', '100-0001', 'female', '"13"']) assert.ok(!stored.includes(hex(clear)), `${clear} is not in clear`);
  assert.equal(sql(srv.data, `SELECT as_of FROM demographics WHERE person_id = '${me.personId}'`), '2026-10-15');

  // An older checkup imported later changes nothing; a newer one does.
  assert.equal((await importFile(srv, me, onDay('20251015', '150-0001'), 'application/xml')).status, 201);
  assert.equal((await disclosed(me)).postal_code, '100-0001');
  // Moved to Sapporo: the address begins with the prefecture, after a full-width space.
  assert.equal((await importFile(srv, me, onDay('20271015', '060-0001', '\u3000北海道札幌市中央区北1条西2丁目'), 'application/xml')).status, 201);
  assert.deepEqual(await disclosed(me), { sex: 'female', birth_date: '1980-04-01', postal_code: '060-0001', prefecture: '01', as_of: '2027-10-15' });
  // An address that begins with no prefecture keeps none; the rest stays.
  assert.equal((await importFile(srv, me, onDay('20281015', '060-0001', '札幌市中央区北1条西2丁目'), 'application/xml')).status, 201);
  assert.deepEqual(await disclosed(me), { sex: 'female', birth_date: '1980-04-01', postal_code: '060-0001', as_of: '2028-10-15' });
  const d = (await call(srv, 'GET', '/api/v1/me/disclosure', { token: me.token })).body;
  assert.ok(d.manifest.parts.includes('demographics'));
  assert.ok(!JSON.stringify(d.demographics).includes('花子'), 'no name');
});

test('R4.2 the 健診結果報告書 Bundle\'s Patient gives the same, and a person erased takes them along (R3.10)', async () => {
  const me = await signupAndLogin(srv);
  const r = await importFile(srv, me, BUNDLE, 'application/fhir+json');
  assert.equal(r.status, 201, r.text);
  const patient = JSON.parse(BUNDLE).entry.map((e) => e.resource).find((x) => x.resourceType === 'Patient');
  const got = await disclosed(me);
  assert.equal(got.sex, patient.gender);
  assert.equal(got.birth_date, patient.birthDate);
  assert.equal(got.postal_code, patient.address[0].postalCode.replace(/^(\d{3})-?(\d{4})$/, '$1-$2'));
  assert.equal(got.prefecture, '14', 'the address text begins with 神奈川県');

  const ask = await call(srv, 'POST', '/api/v1/me/erasures', { token: me.token, body: { scope: 'account' } });
  assert.equal(ask.status, 201, ask.text);
  const ok = await call(srv, 'POST', `/api/v1/me/erasures/${ask.body.id}/confirm`, { token: me.token, body: { password: PASSWORD } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(sql(srv.data, `SELECT count(*) FROM demographics WHERE person_id = '${me.personId}'`), '0');
});
