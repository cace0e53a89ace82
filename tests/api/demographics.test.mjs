// The person's demographics (issue 22 item 3, issue 23 item 3): name (and
// in kana), sex, date of birth, address, phone and the insurance card's
// numbers, as the newest checkup or お薬手帳 file says or the person
// corrects them — kept sealed with the person's data key, never in clear in
// the store; what each replaced kept too (R3.12); disclosed (R3.8), gone
// with the account (R3.10); written into the documents exported for the
// person: the 健診結果報告書's JP_Patient_eCS, the CDA's recordTarget, the
// お薬手帳's record 1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, importFile, sql, PASSWORD } from './helpers.mjs';
import { ig, validateResource } from './profiles.mjs';

const CDA = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');
const BUNDLE = readFileSync(new URL('../fixtures/eCheckupReport-Sample-01.json', import.meta.url), 'utf8');
const OKUSURI = readFileSync(new URL('../fixtures/jahis/tc-multi-dispensing.txt', import.meta.url), 'utf8');
const HC08 = new URL('../../schemas/mhlw-tokutei-v08/hc08_V08.xsd', import.meta.url).pathname;
// The same checkup on another day, the person at another address.
const onDay = (day, postal, address = '東京都千代田区千代田1-1') => CDA.replaceAll('20261015', day)
  .replace('<postalCode>100-0001</postalCode>', `<postalCode>${postal}</postalCode>`).replace('東京都千代田区千代田1-1', address);
const hex = (s) => Buffer.from(s, 'utf8').toString('hex').toUpperCase();
const FROM_CDA = {
  name: '健診 花子（架空）', sex: 'female', birth_date: '1980-04-01', postal_code: '100-0001', prefecture: '13',
  address: '東京都千代田区千代田1-1', insurer_number: '12345678', insured_symbol: 'テスト', insured_number: '1234567',
  insured_branch: '01', from: 'cda', as_of: '2026-10-15',
};

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const disclosure = async (me) => (await call(srv, 'GET', '/api/v1/me/disclosure', { token: me.token })).body;
const disclosed = async (me) => (await disclosure(me)).demographics;
const mine = async (me) => {
  const r = await call(srv, 'GET', '/api/v1/me/demographics', { token: me.token });
  assert.equal(r.status, 200, r.text);
  return r.body;
};
const correct = (me, body, headers) => call(srv, 'PUT', '/api/v1/me/demographics', { token: me.token, body, headers });
const sealedHex = (me) => sql(srv.data, `SELECT hex(sealed) FROM demographics WHERE person_id = '${me.personId}'`) +
  sql(srv.data, `SELECT group_concat(hex(sealed), '') FROM demographics_history WHERE person_id = '${me.personId}'`);
const tokyoToday = () => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo' }).format(new Date());

test('R3.8 R4.2 a checkup\'s demographics are kept sealed, the newest checkup\'s, what they replaced kept, and disclosed', async () => {
  const me = await signupAndLogin(srv);
  assert.equal(await disclosed(me), null, 'nothing known before an import');
  assert.deepEqual(await mine(me), { demographics: null, earlier: [] });
  assert.equal((await importFile(srv, me, CDA, 'application/xml')).status, 201);
  assert.deepEqual(await disclosed(me), FROM_CDA);
  for (const clear of ['1980-04-01', '100-0001', 'female', '健診', '12345678', '千代田']) {
    assert.ok(!sealedHex(me).includes(hex(clear)), `${clear} is not in clear`);
  }
  assert.equal(sql(srv.data, `SELECT as_of FROM demographics WHERE person_id = '${me.personId}'`), '2026-10-15');

  // An older checkup imported later changes nothing; a newer one does, and what it replaced is kept.
  assert.equal((await importFile(srv, me, onDay('20251015', '150-0001'), 'application/xml')).status, 201);
  assert.equal((await disclosed(me)).postal_code, '100-0001');
  assert.deepEqual((await mine(me)).earlier, []);
  // Moved to Sapporo: the address begins with the prefecture, after a full-width space (dropped).
  assert.equal((await importFile(srv, me, onDay('20271015', '060-0001', '\u3000北海道札幌市中央区北1条西2丁目'), 'application/xml')).status, 201);
  assert.deepEqual(await disclosed(me), { ...FROM_CDA, postal_code: '060-0001', prefecture: '01', address: '北海道札幌市中央区北1条西2丁目', as_of: '2027-10-15' });
  // An address that begins with no prefecture brings none: the old one's does not stay.
  assert.equal((await importFile(srv, me, onDay('20281015', '060-0001', '札幌市中央区北1条西2丁目'), 'application/xml')).status, 201);
  const now = await mine(me);
  assert.equal(now.demographics.prefecture, undefined);
  assert.equal(now.demographics.address, '札幌市中央区北1条西2丁目');
  assert.deepEqual(now.earlier.map((e) => [e.as_of, e.address]), [['2027-10-15', '北海道札幌市中央区北1条西2丁目'], ['2026-10-15', '東京都千代田区千代田1-1']],
    'newest first');
  assert.ok(now.earlier.every((e) => !Number.isNaN(Date.parse(e.replaced_at)) && e.replaced_at.endsWith('Z')));
  const d = await disclosure(me);
  assert.ok(d.manifest.parts.includes('demographics') && d.manifest.parts.includes('demographics_earlier'));
  assert.deepEqual(d.demographics_earlier, now.earlier);
  assert.equal(sql(srv.data, `SELECT count(*) FROM audit WHERE action = 'record.read' AND records = 'demographics' AND subject = '${me.personId}'`), '3',
    'each look is on the record');
});

test('R4.2 R4.3 the 健診結果報告書\'s Patient and Coverage give them; the exported document\'s Patient is JP_Patient_eCS; erased with the account (R3.10)', async () => {
  const me = await signupAndLogin(srv);
  const r = await importFile(srv, me, BUNDLE, 'application/fhir+json');
  assert.equal(r.status, 201, r.text);
  const sent = JSON.parse(BUNDLE).entry.map((e) => e.resource);
  const patient = sent.find((x) => x.resourceType === 'Patient');
  assert.deepEqual(await disclosed(me), {
    name: '健診 太郎', name_kana: 'ケンシン タロウ', sex: 'male', birth_date: '1950-05-04', postal_code: '123-4567',
    prefecture: '14', address: '神奈川県横浜市港区１－２－３', phone: '03-1111-2222', insurer_number: '06123456',
    insured_symbol: '１２３４５', insured_number: '６７８９０', insured_branch: '０１', from: 'fhir', as_of: '2020-04-04',
  });

  const doc = (await call(srv, 'GET', '/api/v1/me/export/checkup/2020-04-04.json', { token: me.token })).body;
  const back = doc.entry[1].resource;
  assert.equal(back.resourceType, 'Patient');
  validateResource(back, { profile: ig('JP_Patient_eCS') });
  assert.deepEqual(back.meta.profile, ['http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Patient_eCS']);
  for (const k of ['name', 'telecom', 'gender', 'birthDate', 'address']) assert.deepEqual(back[k], patient[k], k);
  assert.ok(doc.entry.slice(2).every((e) => (e.resource.subject ?? e.resource.beneficiary)?.reference === doc.entry[1].fullUrl || e.resource.resourceType === 'Organization'));

  const ask = await call(srv, 'POST', '/api/v1/me/erasures', { token: me.token, body: { scope: 'account' } });
  assert.equal(ask.status, 201, ask.text);
  const ok = await call(srv, 'POST', `/api/v1/me/erasures/${ask.body.id}/confirm`, { token: me.token, body: { password: PASSWORD } });
  assert.equal(ok.status, 200, ok.text);
  for (const table of ['demographics', 'demographics_history']) {
    assert.equal(sql(srv.data, `SELECT count(*) FROM ${table} WHERE person_id = '${me.personId}'`), '0', table);
  }
});

test('R4.3 R4.2 the CDA written names the person as the imported one did: valid against hc08, and read back the same', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await importFile(srv, me, CDA, 'application/xml')).status, 201);
  const res = await fetch(`${srv.url}/api/v1/me/export/checkup/2026-10-15.xml`, { headers: { authorization: `Bearer ${me.token}` } });
  assert.equal(res.status, 200);
  const xml = await res.text();
  const file = join(mkdtempSync(join(tmpdir(), 'cda-')), 'checkup.xml');
  writeFileSync(file, xml);
  execFileSync('xmllint', ['--noout', '--nonet', '--schema', HC08, file], { stdio: 'pipe' });
  for (const part of ['<id extension="12345678" root="1.2.392.200119.6.101"/>', '<id extension="01" root="1.2.392.200119.6.211"/>',
    '<name>健診 花子（架空）</name>', '<administrativeGenderCode code="2" codeSystem="1.2.392.200119.6.1104"/>',
    '<birthTime value="19800401"/>', '<postalCode>100-0001</postalCode>東京都千代田区千代田1-1']) {
    assert.ok(xml.includes(part), part);
  }
  const other = await signupAndLogin(srv);
  assert.equal((await importFile(srv, other, xml, 'application/xml')).status, 201);
  assert.deepEqual(await disclosed(other), await disclosed(me));
  // The examining institution goes along: the document's Encounter names the same one.
  const institutionOf = async (who) => {
    const doc = (await call(srv, 'GET', '/api/v1/me/export/checkup/2026-10-15.json', { token: who.token })).body;
    const { id, ...org } = doc.entry.find((e) => e.resource.resourceType === 'Organization').resource;
    return org;
  };
  assert.deepEqual(await institutionOf(other), await institutionOf(me));
  assert.ok((await institutionOf(me)).name);
  // Without demographics the document names the person by the service's id alone, and stays valid.
  const bare = await signupAndLogin(srv);
  const fhir = JSON.parse((await call(srv, 'GET', '/api/v1/me/export/checkup/2026-10-15.json', { token: me.token })).text);
  fhir.entry = fhir.entry.filter((e) => e.resource.resourceType !== 'Patient');
  assert.equal((await importFile(srv, bare, JSON.stringify(fhir), 'application/fhir+json')).status, 201);
  const plain = await (await fetch(`${srv.url}/api/v1/me/export/checkup/2026-10-15.xml`, { headers: { authorization: `Bearer ${bare.token}` } })).text();
  assert.match(plain, new RegExp(`<recordTarget><patientRole><id root="${bare.personId}"/></patientRole></recordTarget>`));
});

test('R3.12 the person corrects them: each field checked, a refusal changes nothing, what was corrected is kept, the change audited', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await importFile(srv, me, CDA, 'application/xml')).status, 201);
  const before = await mine(me);
  const bad = [
    [{ name: 'x'.repeat(193) }, 'name'], [{ sex: 'other' }, 'sex'], [{ birth_date: '1980-02-30' }, 'birth_date'],
    [{ postal_code: '12-34' }, 'postal_code'], [{ insurer_number: '1234' }, 'insurer_number'], [{ phone: 'call me' }, 'phone'],
    [{ name: 'a\u0007b' }, 'name'], [{ nickname: 'x' }, 'nickname'], [{ name: 7 }, 'name'],
  ];
  for (const [body, field] of bad) {
    const r = await correct(me, body);
    assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
    assert.ok(r.text.includes(field), `the refusal names ${field}: ${r.text}`);
  }
  assert.equal((await correct(me, '{"name":', { 'content-type': 'application/json' })).status, 400, 'not JSON');
  assert.equal((await correct(me, 'name=x', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415);
  assert.deepEqual(await mine(me), before, 'nothing changed');

  // The whole of them, as the person says now: a member left out (the card's branch) is removed.
  const { from, as_of, insured_branch, ...kept } = before.demographics;
  const r = await correct(me, { ...kept, name: '　健診 花子 ', address: '東京都港区新橋1-2-3', phone: '03-1234-5678' });
  assert.equal(r.status, 200, r.text);
  const today = tokyoToday();
  assert.deepEqual(r.body.demographics, { ...kept, name: '健診 花子', address: '東京都港区新橋1-2-3', phone: '03-1234-5678', from: 'person', as_of: today });
  assert.equal(r.body.earlier.length, 1);
  const { replaced_at, ...was } = r.body.earlier[0];
  assert.deepEqual(was, before.demographics, 'what was corrected is kept whole');
  assert.deepEqual(await mine(me), r.body);
  assert.equal(sql(srv.data, `SELECT count(*) FROM audit WHERE action = 'record.update' AND records = 'demographics' AND reason = 'correction' AND subject = '${me.personId}'`), '1');
  // An older file imported after the correction does not undo it.
  assert.equal((await importFile(srv, me, onDay('20251016', '150-0001'), 'application/xml')).status, 201);
  assert.equal((await mine(me)).demographics.name, '健診 花子');
});

test('R4.3 the お薬手帳 text starts with the imported record 1 as it was; after a correction, with what the person says now', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await importFile(srv, me, OKUSURI, 'text/plain')).status, 201);
  const got = await mine(me);
  assert.deepEqual(got.demographics, {
    name: '山田 太郎', name_kana: 'ヤマダ タロウ', sex: 'male', birth_date: '1980-01-01', postal_code: '105-0004',
    prefecture: '13', address: '東京都港区新橋1-2-3', phone: '03-1234-5678', from: 'jahis', as_of: got.demographics.as_of,
  });
  const text = async () => (await call(srv, 'GET', '/api/v1/me/export/okusuri.txt', { token: me.token, json: false })).text;
  const line1 = (t) => t.split('\r\n').find((l) => l.startsWith('1,'));
  assert.equal(line1(await text()), '1,山田 太郎,1,19800101,105-0004,東京都港区新橋1-2-3,03-1234-5678,090-9999-8888,A+,52.3,ヤマダ タロウ');
  const { from, as_of, ...now } = got.demographics;
  assert.equal((await correct(me, { ...now, address: '大阪府大阪市北区梅田1-1', postal_code: '530-0001', phone: '06-1111-2222' })).status, 200);
  assert.equal(line1(await text()), '1,山田 太郎,1,19800101,530-0001,大阪府大阪市北区梅田1-1,06-1111-2222,090-9999-8888,A+,52.3,ヤマダ タロウ',
    'emergency contact, blood type and weight carried over from the text');

  // Someone who never imported a text: record 1 from the details they entered.
  const other = await signupAndLogin(srv);
  const anonymous = OKUSURI.split(/\r?\n/).map((l) => (l.startsWith('1,') ? '1,匿名,1,19800101' : l)).join('\r\n');
  assert.equal((await importFile(srv, other, anonymous, 'text/plain')).status, 201);
  assert.equal((await correct(other, { name: '佐藤, 花子', sex: 'female', birth_date: '1990-02-03' })).status, 200);
  const r = await call(srv, 'GET', '/api/v1/me/export/okusuri.txt', { token: other.token, json: false });
  assert.equal(line1(r.text), '1,佐藤， 花子,2,19900203', 'a comma in a field written full-width: it would split the record');
});
