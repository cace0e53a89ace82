// JAHIS 電子版お薬手帳 texts (R4.2, R1.2, R1.1): each medicine dispensed
// becomes a MedicationDispense, each OTC medicine a MedicationStatement, the
// text is kept byte-identical in whatever encoding it came; Shift_JIS and
// CRLF are read as well as UTF-8; the parts of a split QR text are joined by
// record 911; broken texts are refused with the line and the rule, and
// nothing is stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, phr, importFile, recordCount, searchAs } from './helpers.mjs';

const sample = (name) => readFileSync(new URL(`../fixtures/jahis/${name}`, import.meta.url), 'utf8');
const shiftJis = (text) => execFileSync('iconv', ['-f', 'UTF-8', '-t', 'CP932'], { input: text.replace(/\n/g, '\r\n') });

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const upload = (who, body) => importFile(srv, who, body, 'text/plain');
const count = (who) => recordCount(srv, who);
const search = (who, type, query) => searchAs(srv, who, type, query);

test('R4.2 R1.2 R1.1 an お薬手帳 text becomes MedicationDispense records and a byte-identical document; again, nothing is stored', async () => {
  const me = await signupAndLogin(srv);
  const text = sample('tc-minimal-valid.txt');
  const r = await upload(me, text);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'jahis-tc');
  assert.deepEqual([r.body.dispensings, r.body.medications, r.body.otc, r.body.parts, r.body.unmapped_records], [1, 1, 0, 1, 1]);
  assert.equal(r.body.date, '2026-03-10');

  const [d] = await search(me, 'MedicationDispense');
  assert.equal(d.status, 'completed');
  assert.deepEqual(d.medicationCodeableConcept.coding[0],
    { system: 'urn:phr:drug-code:receipt', code: '612170709', display: 'ノルバスク錠２．５ｍｇ' });
  assert.equal(d.whenHandedOver, '2026-03-10');
  assert.deepEqual(d.daysSupply, { value: 3, unit: '日', system: 'http://unitsofmeasure.org', code: 'd' });
  assert.equal(d.dosageInstruction[0].text, '毎食後服用');
  // JAHIS's 用量 for 日分 is a day's dose: JP Core's rate per 1 day; handed over, 1 × 3 days.
  assert.deepEqual(d.dosageInstruction[0].doseAndRate, [{ rateRatio: { numerator: { value: 1, unit: '錠' },
    denominator: { value: 1, unit: '日', system: 'http://unitsofmeasure.org', code: 'd' } } }]);
  assert.deepEqual(d.quantity, { value: 3, unit: '錠' });
  assert.equal(d.performer[0].actor.display, '株式会社 工業会薬局 駅前店');
  const notes = d.note.map((n) => n.text);
  assert.ok(notes.includes('処方: 医療法人 工業会病院 工業会 太郎（内科）'), notes.join('|'));
  assert.ok(notes.includes('薬品補足: 朝1錠、夕2錠'));
  assert.ok(notes.includes('患者等記入: 飲み始めてから昼に眠くなるようになった。'));
  assert.deepEqual(d.meta.tag.map((t) => t.code), ['1', 'medical-institution'], 'R1.1: from a pharmacy');
  assert.equal(d.supportingInformation[0].reference, `DocumentReference/${r.body.document}`);

  const one = await call(srv, 'GET', `/fhir/MedicationDispense/${d.id}`, { token: me.token });
  assert.equal(one.status, 200, one.text);
  assert.equal((await call(srv, 'GET', `/fhir/Observation/${d.id}`, { token: me.token })).status, 404, 'not an Observation');
  assert.equal((await call(srv, 'GET', `/fhir/MedicationDispense/${d.id}/_history`, { token: me.token })).body.entry[0].fullUrl.includes(`/MedicationDispense/${d.id}`), true);
  assert.equal((await call(srv, 'POST', '/fhir/MedicationDispense', { token: me.token, body: d, headers: { 'content-type': 'application/fhir+json' } })).status, 405,
    'medication comes in imported files');

  const orig = await fetch(`${srv.url}/api/v1/me/documents/${r.body.document}/original`, { headers: { authorization: `Bearer ${me.token}` } });
  assert.match(orig.headers.get('content-type'), /^text\/plain/);
  assert.match(orig.headers.get('content-disposition'), /okusuri-techo\.txt/);
  assert.ok(Buffer.from(await orig.arrayBuffer()).equals(Buffer.from(text)));

  const n = count(me);
  const again = await upload(me, text);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.duplicate, true);
  assert.equal(count(me), n);
  const other = await signupAndLogin(srv);
  assert.equal((await call(srv, 'GET', `/fhir/MedicationDispense/${d.id}`, { token: other.token })).status, 404, 'someone else\'s record reads as absent');
  assert.equal((await search(other, 'MedicationDispense')).length, 0);
});

test('R4.2 Shift_JIS with CRLF, as QR codes carry it: read the same, kept byte for byte; dispensings searchable by date and code', async () => {
  const me = await signupAndLogin(srv);
  const bytes = shiftJis(sample('tc-multi-dispensing.txt'));
  assert.ok(!bytes.equals(Buffer.from(sample('tc-multi-dispensing.txt'))), 'the bytes really are Shift_JIS');
  const r = await upload(me, bytes);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual([r.body.dispensings, r.body.medications], [2, 2]);
  assert.equal(r.body.date, '2026-03-12', 'dated by the newest dispensing');
  const feb = await search(me, 'MedicationDispense', '?date=2026-02-20');
  assert.equal(feb.length, 1);
  assert.equal(feb[0].medicationCodeableConcept.text, 'ロキソニン錠６０ｍｇ');
  assert.deepEqual(feb[0].medicationCodeableConcept.coding[1],
    { system: 'urn:oid:1.2.392.100495.20.1.81', code: '1149019F1ZZZ', display: '【般】ロキソプロフェンナトリウム錠６０ｍｇ' });
  assert.ok(feb[0].note.some((x) => x.text === '服用注意: 疼痛時の服用状況を確認'));
  const byCode = await search(me, 'MedicationDispense', '?code=urn:phr:drug-code:receipt|612170709');
  assert.equal(byCode.length, 1);
  assert.equal(byCode[0].whenHandedOver, '2026-03-12');
  const orig = await fetch(`${srv.url}/api/v1/me/documents/${r.body.document}/original`, { headers: { authorization: `Bearer ${me.token}` } });
  assert.ok(Buffer.from(await orig.arrayBuffer()).equals(bytes), 'the Shift_JIS original comes back as it came');
});

test('R4.2 R1.1 a text from the person (output category 2): OTC medicines as MedicationStatement, self-reported, era dates read', async () => {
  const me = await signupAndLogin(srv);
  const r = await upload(me, sample('tc-output-category-2-full.txt'));
  assert.equal(r.status, 201, r.text);
  assert.deepEqual([r.body.dispensings, r.body.medications, r.body.otc], [1, 1, 1]);
  const [s] = await search(me, 'MedicationStatement');
  assert.equal(s.medicationCodeableConcept.text, 'バファリン');
  assert.deepEqual(s.effectivePeriod, { start: '2020-04-06', end: '2020-04-09' }, 'R020406–R020409');
  assert.deepEqual(s.meta.tag.map((t) => t.code), ['3', 'self-reported'], 'R1.1: recorded by the person');
  assert.equal(s.category.coding[0].code, 'patientspecified');
  assert.deepEqual(s.note, [{ text: '成分: イブプロフェン',
    extension: [{ url: 'urn:phr:jahis:ingredient-code', valueCoding: { system: 'urn:phr:jahis:ingredient-code:2', code: '1149001' } }] }],
  'its code (type 2) beside it');
  const [d] = await search(me, 'MedicationDispense');
  assert.equal(d.whenHandedOver, '2020-04-10');
  const both = await upload(me, sample('tc-with-otc-components-and-remaining-medicine.txt'));
  assert.equal(both.status, 201, both.text);
  const otc = (await search(me, 'MedicationStatement', '?code=https://www.gs1.org/gtin|4987107609229'))[0];
  assert.deepEqual(otc.note.map((x) => x.text), ['成分: イブプロフェン', '成分: アセトアミノフェン']);
});

test('R4.2 R4.3 the patient\'s allergies and side effects (患者特記, record 2) become AllergyIntolerance records and leave again in the text', async () => {
  const me = await signupAndLogin(srv);
  const text = sample('tc-output-category-2-full.txt');
  assert.match(text, /^2,1,乳製品,1$/m);
  const r = await upload(me, text);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.allergies, 2);
  const found = await search(me, 'AllergyIntolerance');
  assert.deepEqual(found.map((a) => [a.type, a.code.text]).sort(), [['allergy', '乳製品'], ['intolerance', 'セフェム系（発熱）']]);
  for (const a of found) {
    assert.equal(a.patient.reference, `Patient/${me.personId}`);
    assert.equal(a.subject, undefined, 'an AllergyIntolerance names its patient as patient');
    assert.deepEqual(a.meta.profile, ['http://jpfhir.jp/fhir/core/StructureDefinition/JP_AllergyIntolerance']);
    assert.equal(a.clinicalStatus.coding[0].code, 'active');
    assert.equal(a.meta.tag[0].code, '1', 'R1.1: recorded by a pharmacist (creator 1), handed over by the person');
  }
  assert.equal((await search(me, 'AllergyIntolerance', '?code=乳製品')).length, 1, 'found by what it is');
  const out = await fetch(`${srv.url}/api/v1/me/export/okusuri.txt`, { headers: { authorization: `Bearer ${me.token}` } });
  const written = await out.text();
  assert.match(written, /^JAHISTC08,2\r\n1,[^\r]*\r\n2,1,乳製品,1\r\n2,2,セフェム系（発熱）,1\r\n/, 'right after the patient, as the notebook shows them');
  const other = await signupAndLogin(srv);
  assert.equal((await upload(other, written)).body.allergies, 2, 'read back elsewhere: the same allergies');
});

const PART2 = [
  'JAHISTC08,1',
  '1,山田 太郎,1,19800101,105-0004,東京都港区新橋1-2-3,03-1234-5678,090-9999-8888,A+,52.3,ヤマダ タロウ',
  '5,20260224,1',
  '11,株式会社 工業会薬局 駅前店,13,4,1234567,105-0004,東京都港区新橋1-1-1,03-3506-8010,1',
  '201,1,ムコダイン錠２５０ｍｇ,1,錠,6,103835401,1',
  '301,1,毎食後服用,7,日分,1,1,,1',
  '911,12345678901234,2,2',
].join('\n');

test('R4.2 a text split over QR codes: the parts are joined by record 911, in part order; a missing part is refused', async () => {
  const me = await signupAndLogin(srv);
  const part1 = sample('tc-supported-records-full.txt');
  const alone = await upload(me, part1);
  assert.equal(alone.status, 422, alone.text);
  assert.match(alone.body.detail, /12345678901234 has 2 parts but 1 is given \(missing: 2\)/);
  assert.equal(count(me), 0);
  const r = await upload(me, `${PART2}\n${part1}`);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual([r.body.parts, r.body.dispensings, r.body.medications, r.body.otc], [2, 2, 2, 1]);
  const hot = await search(me, 'MedicationDispense', '?code=urn:oid:1.2.392.200119.4.403.1|103835401');
  assert.equal(hot.length, 1, 'a HOT9 code');
  assert.equal(hot[0].whenHandedOver, '2026-02-24');
  const twice = await upload(me, `${part1}\n${part1}`);
  assert.equal(twice.status, 422);
  assert.match(twice.body.detail, /part 1 is given twice/);
});

// Each valid JAHIS sample imported and written back: record for record as it came, but for what
// the format lets the writer say otherwise or the service does not keep — stated here, each one.
const ERA = { M: 1867, T: 1911, S: 1925, H: 1988, R: 2018 };
const western = (line) => line.replace(/(^|,)([MTSHR])(\d{2})(\d{4})(?=,|$)/g,
  (m, lead, era, yy, mmdd) => `${lead}${ERA[era] + Number(yy)}${mmdd}`);
const CANNOT = [
  // The text written is the person's own (output category 2), in the version the writer implements.
  [/^JAHISTC\d\d,[12]$/, 'JAHISTC08,2'],
];
// Dates are written in the Western calendar (an era date is read, not kept as such), but in the
// records the service holds in the original only — the patient (1), remarks other than allergies
// and side effects (2), memos (4), the pharmacist in charge (701) —, written back from the newest
// text as they came.
test('R4.2 R4.3 issue 23 item 4: every valid JAHIS sample comes back record for record (memos and the pharmacist in charge too), but for what this test names', async () => {
  const samples = [['tc-minimal-valid.txt'], ['tc-multi-dispensing.txt'], ['tc-output-category-2-full.txt'],
    ['tc-with-otc-components-and-remaining-medicine.txt'], ['tc-supported-records-full.txt', PART2],
    // Remarks of the kinds not kept as records: a past illness (3) and another (9).
    [sample('tc-minimal-valid.txt').replace(/^(1,.*)$/m, '$1\n2,3,高血圧,1\n2,9,妊娠中,2')]];
  for (const names of samples) {
    const text = names.map((n) => (n.endsWith('.txt') ? sample(n) : n)).join('\n');
    const me = await signupAndLogin(srv);
    assert.equal((await upload(me, text)).status, 201, names[0]);
    const out = (await call(srv, 'GET', '/api/v1/me/export/okusuri.txt', { token: me.token, json: false })).text;
    // A split text's parts come back as one text: their part records (911), and the repeats of each part's
    // version and patient records, are the split's, not the data's.
    const seen = new Set();
    const once = (l) => !/^(JAHISTC|1,)/.test(l) || (!seen.has(l) && seen.add(l));
    const expected = text.split(/\r?\n/).filter((l) => l && !l.startsWith('911,') && once(l))
      .map((l) => CANNOT.reduce((x, [re, to]) => (x !== null && re.test(x) ? to : x), l)).filter((l) => l !== null)
      .map((l) => (/^(1|2,[39]|4|701),/.test(l) ? l : western(l))).sort();
    assert.deepEqual(out.split('\r\n').filter(Boolean).sort(), expected, names[0]);
  }
});

const broken = [
  ['the drug code is missing (JAHIS sample)', sample('tc-invalid-missing-drug-code.txt'), /line 4, record 201: the drug code is missing although its code type is 2/],
  ['an OTC ingredient without its medicine (JAHIS sample)', sample('tc-invalid-missing-otc-sequence-parent.txt'), /line 3, record 31: .*no record 3 with that sequence number/],
  ['an impossible dispensing date', sample('tc-minimal-valid.txt').replace('5,20260310,1', '5,20260230,1'), /line 3, record 5: dispensing date '20260230'/],
  ['a usage without its medicine', sample('tc-minimal-valid.txt').replace('301,1,', '301,2,'), /record 301: it names RP 2, but no medicine/],
  ['a medicine without a usage', sample('tc-minimal-valid.txt').replace(/^301,.*\n/m, '').replace(/^311,.*\n/m, ''), /RP 1 has medicines \(record 201\) but no usage/],
  ['a dispensing record before any dispensing', sample('tc-minimal-valid.txt').replace('5,20260310,1\n', ''), /line 3, record 11: .*no dispensing date \(record 5\)/],
  ['an unknown output category', sample('tc-minimal-valid.txt').replace('JAHISTC01,1', 'JAHISTC01,3'), /line 1, record JAHISTC: the version record/],
  ['bytes that are neither UTF-8 nor Shift_JIS', Buffer.concat([Buffer.from('JAHISTC08,1\n1,'), Buffer.from([0x85, 0x40, 0xff]), Buffer.from(',1,19800101\n')]), /neither UTF-8 nor Shift_JIS/],
  ['a text without any medicine', 'JAHISTC08,1\n1,山田 太郎,1,19800101\n4,メモ,20260310,1\n', /records no dispensing and no OTC medicine/],
];
for (const [what, body, why] of broken) {
  test(`R2.9 R4.2 refused: ${what}; nothing is stored`, async () => {
    const me = await signupAndLogin(srv);
    const r = await upload(me, body);
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.detail, why);
    assert.equal(count(me), 0);
  });
}

test('R4.2 phr import reads お薬手帳 texts too, told apart by content', () => {
  const dir = join(srv.data, '..');
  const file = join(dir, 'okusuri.txt');
  writeFileSync(file, shiftJis(sample('tc-multi-dispensing.txt')));
  return signupAndLogin(srv).then((person) => {
    const r = phr(['import', '--data', srv.data, '--login', person.login, '--log-level', 'warn', '--', file]);
    assert.equal(r.status, 0, r.stderr);
    const line = JSON.parse(r.stdout.trim());
    assert.equal(line.result.kind, 'jahis-tc');
    assert.equal(line.result.medications, 2);
    assert.equal(count(person), 3);
  });
});

test('R4.3 the medication as an お薬手帳 text: written from the records, read back elsewhere as the same medicines', async () => {
  const alice = await signupAndLogin(srv);
  assert.equal((await upload(alice, shiftJis(sample('tc-multi-dispensing.txt')))).status, 201);
  assert.equal((await upload(alice, sample('tc-output-category-2-full.txt'))).status, 201);
  const r = await fetch(`${srv.url}/api/v1/me/export/okusuri.txt`, { headers: { authorization: `Bearer ${alice.token}` } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-disposition'), /okusuri-techo\.txt/);
  const text = await r.text();
  assert.match(text, /^JAHISTC08,2\r\n1,鈴木 太郎,1,S330303/, 'the patient record of the newest text imported');
  assert.match(text, /\r\n5,20260312,1\r\n/);
  const essence = async (who) => (await search(who, 'MedicationDispense')).map((d) => [
    d.medicationCodeableConcept.coding.map((c) => `${c.system}|${c.code}`).join(' '), d.whenHandedOver,
    JSON.stringify(d.daysSupply), JSON.stringify(d.quantity), d.dosageInstruction[0].text, JSON.stringify(d.dosageInstruction[0].doseAndRate),
    d.performer?.[0]?.actor?.display].join('\t')).sort();
  const bob = await signupAndLogin(srv);
  const back = await upload(bob, text);
  assert.equal(back.status, 201, back.text);
  assert.deepEqual(await essence(bob), await essence(alice), 'the same medicines, days, usage, dose and pharmacy');
  assert.deepEqual((await search(bob, 'MedicationStatement')).map((s) => s.medicationCodeableConcept.text), ['バファリン']);
  const sj = await fetch(`${srv.url}/api/v1/me/export/okusuri.txt?charset=shift_jis`, { headers: { authorization: `Bearer ${alice.token}` } });
  assert.match(sj.headers.get('content-type'), /Shift_JIS/);
  const bytes = Buffer.from(await sj.arrayBuffer());
  assert.ok(bytes.equals(shiftJis(text.replace(/\r\n/g, '\n'))), 'the same text in Shift_JIS');
});

test('R4.2 R4.3 issue 23 item 4: the pharmacy, the pharmacist, the prescribing institution and doctor as JP Core elements, and back as records 11, 15, 51, 55 as they came; 411 and 601 whole', async () => {
  const me = await signupAndLogin(srv);
  const text = sample('tc-minimal-valid.txt');
  assert.equal((await upload(me, text)).status, 201);
  const [d] = await search(me, 'MedicationDispense');
  const byId = Object.fromEntries(d.contained.map((c) => [c.id, c]));
  assert.deepEqual(byId.pharmacy, { resourceType: 'Organization', id: 'pharmacy', name: '株式会社 工業会薬局 駅前店',
    identifier: [{ system: 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no', value: '1341234567' }],
    telecom: [{ system: 'phone', value: '03-3506-8010' }] }, '都道府県 13, 点数表 4, コード 1234567');
  assert.deepEqual(d.performer.map((p) => p.actor.reference), ['#pharmacy', '#pharmacist']);
  assert.equal(byId.pharmacist.name[0].text, '工業会 次郎');
  assert.equal(byId['prescriber-org'].identifier[0].value, '1311234567');
  assert.equal(byId.prescriber.name[0].text, '工業会 太郎');
  assert.deepEqual(byId['prescriber-role'].specialty, [{ text: '内科' }]);
  assert.deepEqual(d.authorizingPrescription, [{ reference: '#prescription' }]);
  assert.equal(byId.prescription.requester.reference, '#prescriber-role');
  assert.deepEqual(byId.prescription.medicationCodeableConcept, d.medicationCodeableConcept);
  const out = (await call(srv, 'GET', '/api/v1/me/export/okusuri.txt', { token: me.token, json: false })).text;
  const parties = (t) => t.split(/\r?\n/).filter((l) => /^(11|15|51|55|411|601),/.test(l));
  assert.deepEqual(parties(out), parties(text), 'and 411 with its 提供情報種別 (31), 601 with its 入力日');
  assert.equal(parties(text).length, 6);
  const notes = Object.fromEntries(d.note.map((n) => [n.text.split(': ')[0], n]));
  assert.equal(notes['患者等記入'].time, '2026-03-10');
  assert.deepEqual(notes['医療機関等提供情報'].extension, [{ url: 'urn:phr:jahis:provision-type', valueCode: '31' }]);
});

// A day's dose (内服, 日分), a time's (頓服, 回分) and a whole amount (外用): JAHIS's record 201
// 用量 means each by the 剤形 and the unit of record 301.
const DOSES = ['JAHISTC08,2', '1,山田 太郎,1,19800101', '5,20261101,1',
  '201,1,アムロジピン錠５ｍｇ,2,錠,2,620000001,1', '301,1,１日２回朝夕食後,7,日分,1,1,,1',
  '201,2,ロキソプロフェン錠６０ｍｇ,1,錠,2,620000002,1', '301,2,疼痛時,5,回分,3,1,,1',
  '201,3,ケトプロフェンテープ２０ｍｇ,28,枚,2,620000003,1', '301,3,１日１回貼付,,,5,1,,1', ''].join('\r\n');

test('R4.2 R4.3 issue 23 item 4: doses by JAHIS\'s meaning — a day\'s as a rate per day, a time\'s as the dose, a whole amount as the quantity — and back the same, byte for byte', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await upload(me, DOSES)).status, 201);
  const by = Object.fromEntries((await search(me, 'MedicationDispense')).map((d) => [d.medicationCodeableConcept.coding[0].code, d]));
  const day = { value: 1, unit: '日', system: 'http://unitsofmeasure.org', code: 'd' };
  assert.deepEqual(by['620000001'].dosageInstruction[0].doseAndRate, [{ rateRatio: { numerator: { value: 2, unit: '錠' }, denominator: day } }]);
  assert.deepEqual([by['620000001'].quantity, by['620000001'].daysSupply.value], [{ value: 14, unit: '錠' }, 7], '2 a day for 7 days');
  assert.deepEqual(by['620000002'].dosageInstruction[0].doseAndRate, [{ doseQuantity: { value: 1, unit: '錠' } }]);
  assert.deepEqual([by['620000002'].quantity, by['620000002'].daysSupply], [{ value: 5, unit: '錠' }, undefined], '1 a time, 5 times');
  assert.deepEqual([by['620000003'].quantity, by['620000003'].dosageInstruction[0]], [{ value: 28, unit: '枚' }, { text: '１日１回貼付' }], 'the whole amount');
  const text = (await call(srv, 'GET', '/api/v1/me/export/okusuri.txt', { token: me.token, json: false })).text;
  const meds = (t) => t.split('\r\n').filter((l) => /^(201|301),/.test(l));
  assert.deepEqual(meds(text), meds(DOSES), 'records 201 and 301 as they came');

  // JP Core's dispense: 1 錠 a time, 3 a day, for 7 days, handed over 9 (its own example). JAHIS
  // carries the day's dose and the days: it leaves as 3 錠 for 7 日分 and comes back 21 —
  // a time's dose and a quantity other than day × days have no place in the text.
  const other = await signupAndLogin(srv);
  const jp = JSON.parse(readFileSync(new URL('../fixtures/jpfhir/jp-core-1.1.2-examples/MedicationDispense-jp-medicationdispense-example-1.json', import.meta.url), 'utf8'));
  assert.equal((await importFile(srv, other, JSON.stringify(jp), 'application/fhir+json')).status, 201);
  const written = (await call(srv, 'GET', '/api/v1/me/export/okusuri.txt?name=%E5%B1%B1%E7%94%B0&sex=1&birth=19800101', { token: other.token, json: false })).text;
  assert.match(written, /\r\n201,1,[^,]+,3,錠,/);
  assert.match(written, /\r\n301,1,[^,]*,7,日分,1,/);
  const third = await signupAndLogin(srv);
  assert.equal((await upload(third, written)).status, 201);
  const [back] = await search(third, 'MedicationDispense');
  assert.deepEqual(back.dosageInstruction[0].doseAndRate[0].rateRatio.numerator, { value: 3, unit: '錠' });
  assert.deepEqual([back.daysSupply.value, back.quantity.value], [7, 21]);
});

test('R4.3 an お薬手帳 text needs the patient record: from an imported text, or given; refused otherwise', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await call(srv, 'GET', '/api/v1/me/export/okusuri.txt', { token: me.token })).status, 404, 'no medication');
  const fhir = readFileSync(new URL('../fixtures/fhir/MedicationDispense-jp-medicationdispense-example-1.json', import.meta.url));
  assert.equal((await call(srv, 'POST', '/api/v1/imports', { token: me.token, body: fhir, headers: { 'content-type': 'application/fhir+json' } })).status, 201);
  const nameless = await call(srv, 'GET', '/api/v1/me/export/okusuri.txt', { token: me.token });
  assert.equal(nameless.status, 422);
  assert.match(nameless.body.detail, /name, sex .* and birth/);
  assert.equal((await call(srv, 'GET', '/api/v1/me/export/okusuri.txt?name=架空 花子&sex=3&birth=19900101', { token: me.token })).status, 400);
  const named = await call(srv, 'GET', `/api/v1/me/export/okusuri.txt?name=${encodeURIComponent('架空 花子')}&sex=2&birth=19900101`, { token: me.token, json: false });
  assert.equal(named.status, 200);
  assert.match(named.text, /^JAHISTC08,2\r\n1,架空 花子,2,19900101\r\n5,20211007,1\r\n/);
  assert.match(named.text, /201,1,ムコダイン錠２５０ｍｇ,3,錠,6,103835401,1/, 'a HOT9 code as code type 6; a day\'s dose, 3 錠 (1 a time, 3 times)');
  const other = await signupAndLogin(srv);
  assert.equal((await upload(other, named.text)).status, 201, 'and it reads back');
});
