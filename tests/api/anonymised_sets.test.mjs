// Anonymised data sets from the service's own checkups (R3.13, issue 22
// item 3): persons whose use is suspended, or who have not granted the
// spec's purpose, are left out; no name, login, id, record id, birth date
// or full postal code reaches the table; extreme values are coded to the
// spec's bounds; k holds when recounted; the making is in the handling
// history; a bad spec is refused naming what is wrong, and nothing is written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, mkdtempSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, importFile, decide, sql, phr, totp, quantity, bloodPressure } from './helpers.mjs';

const CDA = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');
const HEIGHT = '9N001000000000001', WEIGHT = '9N006000000000001', SYSTOLIC = '9A751000000000001';

// A checkup of someone born in `year`, of `sex` (MHLW code 1 or 2), living at `postal`, `address`.
const checkup = ({ year, sex, postal, address, weight, systolic }) => CDA
  .replace('<birthTime value="19800401"/>', `<birthTime value="${year}0401"/>`)
  .replace('<administrativeGenderCode code="2"', `<administrativeGenderCode code="${sex}"`)
  .replace('<postalCode>100-0001</postalCode>', `<postalCode>${postal}</postalCode>`)
  .replace('東京都千代田区千代田1-1', address)
  .replace('value="52.4" unit="kg"', `value="${weight}" unit="kg"`)
  .replace('value="128" unit="mm[Hg]"', `value="${systolic}" unit="mm[Hg]"`);

let srv;
const people = [];
const dir = mkdtempSync(join(tmpdir(), 'phr-anon-sets-'));

before(async () => {
  srv = await startServer();
  for (let i = 0; i < 16; i++) {
    const me = await signupAndLogin(srv);
    const grant = i !== 14; // one declines the statistics purpose
    if (grant) assert.ok((await decide(srv, me.token, [{ purpose: 'statistics', decision: 'grant' }])).status < 300);
    const person = { year: 1950 + (i % 4) * 10 + (i % 3), sex: i % 2 ? 1 : 2, postal: ['100-0001', '100-0005', '150-0001'][i % 3],
      address: ['東京都千代田区千代田1-1', '東京都千代田区丸の内1-1', '大阪府大阪市北区梅田1-1'][i % 3],
      weight: 50 + i, systolic: i === 3 ? 195 : 120 + i };
    assert.equal((await importFile(srv, me, checkup(person), 'application/xml')).status, 201);
    people.push({ ...me, ...person });
  }
  // Home measurements and dispensings around the checkup (2026-10-15): in the 90 days before it, and long before.
  const okusuri = (code, type) => ['JAHISTC01,1', '1,架空 次郎,1,19700101', '5,20261001,1',
    `201,1,架空の薬,1,錠,${type},${code},1`, '301,1,毎食後,14,日分,1,1,,1', ''].join('\r\n');
  for (let i = 0; i < 8; i++) {
    const me = people[i];
    const post = (body) => call(srv, 'POST', '/fhir/Observation', { token: me.token, body });
    assert.equal((await post(quantity('29463-7', 60 + i, 'kg', '2026-10-01T07:00:00+09:00'))).status, 201);
    assert.equal((await post(quantity('29463-7', 62 + i, 'kg', '2026-10-15T06:00:00+09:00'))).status, 201);
    assert.equal((await post(quantity('29463-7', 150, 'kg', '2026-05-01T07:00:00+09:00'))).status, 201, 'outside the window');
    assert.equal((await post(bloodPressure(130 + i, 80, '2026-09-20T07:00:00+09:00'))).status, 201);
    // YJ code 2171… (a 血管拡張剤), a レセプト電算 code (no class known), or none dispensed.
    const file = i % 4 === 0 ? okusuri('2171022F1022', 4) : i % 4 === 1 ? okusuri('620000000', 2) : null;
    if (file) assert.equal((await importFile(srv, me, file, 'text/plain')).status, 201);
  }
  // One suspends all use; one never imports anything.
  const s = await call(srv, 'POST', '/api/v1/me/suspensions', { token: people[15].token, body: { purpose: '*', action: 'suspend' } });
  assert.ok(s.status < 300, s.text);
  const idle = await signupAndLogin(srv);
  await decide(srv, idle.token, [{ purpose: 'statistics', decision: 'grant' }]);
});
after(async () => { await srv.stop(); });

const spec = (over = {}) => ({
  name: 'checkups-2026', purpose: 'statistics', period: { from: '2026-04-01', to: '2027-03-31' },
  items: [{ code: HEIGHT }, { code: WEIGHT }, { code: SYSTOLIC, top: 180 }],
  quasi_identifiers: ['age', 'sex', 'postal_area'], k: 3, suppression: 0.2, ...over,
});

// A member of staff with that role, signed in with a second factor.
async function staffSession(srv, role, who = role, args = []) {
  const added = phr(['staff', 'add', '--data', srv.data, '--login', `${who}@provider.example.jp`, '--role', role, '--log-level', 'warn', ...args]);
  assert.equal(added.status, 0, added.stderr);
  const s = JSON.parse(added.stdout);
  const r = await call(srv, 'POST', '/api/v1/staff/login', { body: { login: s.login, password: s.password, otp: totp(s.totp_uri) } });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

function make(body) {
  const file = join(dir, `spec-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(body));
  return phr(['anonymise', 'run', '--data', srv.data, '--spec', file, '--out', dir, '--log-level', 'warn']);
}

test('R3.13 R3.9 a data set from the checkups: who is left out and why, nothing that identifies, k recounted, recorded', () => {
  const r = make(spec());
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'checkups-2026.json'), 'utf8')), m, 'the manifest written is the one printed');
  assert.deepEqual(m.left_out, { suspended: 1, not_for_purpose: 1, no_demographics: 1, no_checkup: 0 },
    'the person who never imported a checkup has no demographics either');
  assert.equal(m.persons, 14);
  assert.equal(m.rows, 14);
  assert.deepEqual(m.items.map((i) => i.code), [HEIGHT, WEIGHT, SYSTOLIC]);
  assert.equal(m.items[0].name, '身長');
  assert.match(m.statement.ja, /匿名加工情報/);
  assert.deepEqual(Object.keys(m.quasi_identifiers), ['age', 'sex', 'postal_area']);

  const text = readFileSync(join(dir, 'checkups-2026.csv'), 'utf8');
  assert.equal(createHash('sha256').update(text).digest('hex'), m.sha256);
  for (const p of people) {
    assert.ok(!text.includes(p.personId), 'no person id');
    assert.ok(!text.includes(p.login), 'no login');
  }
  assert.doesNotMatch(text, /花子|健診 |[0-9a-f]{8}-[0-9a-f]{4}-/, 'no name, no record or person ids');
  assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}|\d{3}-\d{4}/, 'no birth date, no full postal code');
  const rows = text.trim().split('\n').map((l) => l.split(';'));
  assert.deepEqual(rows[0], ['row', 'age', 'sex', 'postal_area', HEIGHT, WEIGHT, SYSTOLIC]);
  const body = rows.slice(1);
  assert.equal(body.length, 14);
  assert.equal(new Set(body.map((r) => r[0])).size, 14, 'fresh row ids, each once');
  assert.ok(body.every((r) => /^[0-9a-f]{16}$/.test(r[0])));
  assert.ok(body.some((r) => r[6] === '≥180'), 'the extreme systolic coded to the bound');
  assert.ok(!body.some((r) => r[6] === '195'));
  // Recounted apart from the engine: every group kept has k rows.
  const kept = body.filter((r) => !(r[1] === '*' && r[2] === '*' && r[3] === '*'));
  assert.equal(body.length - kept.length <= Math.floor(0.2 * 14) || kept.length === body.length, true);
  const groups = kept.reduce((g, r) => g.set(r.slice(1, 4).join(';'), (g.get(r.slice(1, 4).join(';')) || 0) + 1), new Map());
  for (const [key, n] of groups) assert.ok(n >= 3, `${key}: ${n} rows`);
  assert.equal(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'anonymised.make' AND actor = 'system:operator'" +
    " AND reason LIKE 'anonymised:checkups-2026%'"), '1');
});

test('R3.13 R5.1 what each data set holds is published for everyone (Art.43(3)); its method only to those who answer for it, each reading recorded', async () => {
  const pub = await call(srv, 'GET', '/api/v1/anonymised');
  assert.equal(pub.status, 200, pub.text);
  assert.equal(pub.body.data_sets.length, 1);
  const d = pub.body.data_sets[0];
  assert.equal(d.name, 'checkups-2026');
  assert.deepEqual(d.items.map((i) => i.name), ['身長', '体重', '収縮期血圧(1回目)']);
  assert.deepEqual(d.quasi_identifiers, ['age', 'sex', 'postal_area']);
  assert.match(d.statement.ja, /匿名加工情報/);
  assert.equal(d.rows, 14);
  for (const secret of ['spec', 'manifest', 'levels', 'sha256']) assert.ok(!(secret in d), `${secret} is not published`);
  assert.doesNotMatch(pub.text, /"age":\d|"k":3,"suppression/, 'no levels, no spec');

  // The same name twice is refused, and nothing more is written or published.
  const again = make(spec());
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /a data set named checkups-2026 was made before/);
  assert.equal((await call(srv, 'GET', '/api/v1/anonymised')).body.data_sets.length, 1);

  const manager = await staffSession(srv, 'asset-manager');
  const m = await call(srv, 'GET', '/api/v1/staff/anonymised/checkups-2026', { token: manager.token });
  assert.equal(m.status, 200, m.text);
  assert.equal(m.body.spec.k, 3);
  assert.deepEqual(Object.keys(m.body.manifest.quasi_identifiers), ['age', 'sex', 'postal_area']);
  assert.equal(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'anonymised.method' AND result = 'allow'"), '1');
  const handler = await staffSession(srv, 'handler');
  const refused = await call(srv, 'GET', '/api/v1/staff/anonymised/checkups-2026', { token: handler.token });
  assert.equal(refused.status, 403);
  assert.equal(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'anonymised.method' AND result = 'deny'"), '1');
  assert.equal((await call(srv, 'GET', '/api/v1/staff/anonymised/checkups-2026')).status, 401);
  assert.equal((await call(srv, 'GET', '/api/v1/staff/anonymised/none', { token: manager.token })).status, 404);

  // The checksheet computes its item from the store.
  const items = new URL('../../checksheet/items.json', import.meta.url).pathname;
  const a = phr(['checksheet', 'assess', '--items', items, '--data', srv.data, '--log-level', 'warn']);
  assert.equal(a.status, 0, a.stderr);
  const item = JSON.parse(a.stdout).sheet.items.find((i) => i.id === '3.4-1');
  assert.equal(item.status, 'implemented');
  assert.match(item.evidence.text, /1 anonymised data set\(s\) made.*1 recounted now from the kept tables meet k/);
  // The recount is the checksheet's own: a method that claims more than the table holds is found.
  const method = sql(srv.data, "SELECT method FROM anonymised_sets WHERE name = 'checkups-2026'");
  sql(srv.data, "UPDATE anonymised_sets SET method = replace(method, '\"k\":3', '\"k\":30') WHERE name = 'checkups-2026'");
  const b = phr(['checksheet', 'assess', '--items', items, '--data', srv.data, '--log-level', 'warn']);
  const claimed = JSON.parse(b.stdout).sheet.items.find((i) => i.id === '3.4-1');
  assert.equal(claimed.status, 'not-implemented');
  assert.match(claimed.reason, /checkups-2026 fails its k or l/);
  sql(srv.data, `UPDATE anonymised_sets SET method = '${method.replaceAll("'", "''")}' WHERE name = 'checkups-2026'`);
});

test('R3.13 R2.7 provision (Art.43(4)(5)): only to a recipient with an agreement in force, only the table recorded; the method published, a delivery note with the statement', async () => {
  const run = (...args) => phr([...args, '--data', srv.data, '--log-level', 'warn']);
  const added = run('recipient', 'add', '--name', 'Univ of Research', '--address', '1-1 Bunkyo, Tokyo', '--country', 'JP',
    '--contact', 'data@univ.example.jp');
  assert.equal(added.status, 0, added.stderr);
  const recipient = JSON.parse(added.stdout).id;
  const table = join(dir, 'checkups-2026.csv');
  const provide = (who, file = table) => run('anonymise', 'provide', '--set', 'checkups-2026', '--recipient', who,
    '--table', file, '--method', 'encrypted file through the recipient\'s portal');
  const provisions = () => sql(srv.data, 'SELECT count(*) FROM anonymised_provisions');

  let r = provide(recipient);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no agreement in force/);
  r = provide('00000000-0000-7000-8000-000000000000');
  assert.match(r.stderr, /no such recipient/);
  assert.equal(run('recipient', 'agreement', '--recipient', recipient, '--signed', '2026-11-01', '--agreement-version', 'DPA-1').status, 0);
  const altered = join(dir, 'altered.csv');
  writeFileSync(altered, readFileSync(table, 'utf8').replace('158.2', '158.3'));
  r = provide(recipient, altered);
  assert.match(r.stderr, /the file is not the data set recorded as checkups-2026/);
  assert.equal(provisions(), '0', 'nothing recorded by a refusal');
  assert.deepEqual((await call(srv, 'GET', '/api/v1/anonymised')).body.data_sets[0].provided, []);

  r = provide(recipient);
  assert.equal(r.status, 0, r.stderr);
  const note = JSON.parse(r.stdout);
  assert.equal(note.sha256, createHash('sha256').update(readFileSync(table)).digest('hex'));
  assert.equal(note.recipient, recipient);
  assert.match(note.statement.ja, /匿名加工情報/);
  assert.equal(provisions(), '1');
  const listed = (await call(srv, 'GET', '/api/v1/anonymised')).body.data_sets[0].provided;
  assert.equal(listed.length, 1);
  assert.equal(listed[0].method, 'encrypted file through the recipient\'s portal');
  assert.equal(listed[0].recipient_country, 'JP');
  assert.match(listed[0].at, /\+09:00$/);
  assert.equal(sql(srv.data, `SELECT count(*) FROM audit WHERE action = 'anonymised.make' AND reason = 'provided:checkups-2026 to:${recipient}'`), '1');
});

test('R3.13 a bad spec is refused naming what is wrong, and nothing is written', () => {
  const refused = (body, pattern, what) => {
    const r = make(body);
    assert.notEqual(r.status, 0, what);
    assert.match(r.stderr, pattern, what);
    assert.equal(existsSync(join(dir, `${body.name}.csv`)), false, `${what}: nothing written`);
  };
  refused(spec({ name: 'bad-code', items: [{ code: '0000000000000000X' }] }), /items\[0\]: code is not in the 特定健診 item table/, 'an unknown item');
  refused(spec({ name: 'bad-type', items: [{ code: '1A105160800166249' }] }), /is free text, not a quantity or a code/, 'a free-text item');
  refused(spec({ name: 'bad-bound', items: [{ code: '1A020000000190111', top: 2 }] }), /1A020000000190111 is a code, not a number: no bounds/, 'bounds on a code');
  refused(spec({ name: 'bad-qi', quasi_identifiers: ['age', 'income'] }), /quasi_identifiers\[1\]/, 'an unknown quasi-identifier');
  refused(spec({ name: 'bad-period', period: { from: '2027-01-01', to: '2026-01-01' } }), /period.to is before period.from/, 'a backward period');
  refused(spec({ name: 'empty', period: { from: '2020-01-01', to: '2020-12-31' } }), /no checkup of a person who may be included/, 'an empty period');
  refused(spec({ name: 'bad/name' }), /name is up to 63 letters/, 'a name that is a path');
  refused(spec({ name: 'too-strict', k: 20, suppression: 0 }), /k \(20\) is larger than the table's 14 rows/, 'k out of reach');
});

test('R3.13 the prefecture from the address as a quasi-identifier: the prefecture, then its region, then *; the rest of the address never', () => {
  const r = make(spec({ name: 'by-prefecture', quasi_identifiers: ['sex', 'prefecture'], k: 3, suppression: 0 }));
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  const text = readFileSync(join(dir, 'by-prefecture.csv'), 'utf8');
  assert.doesNotMatch(text, /千代田|丸の内|梅田|大阪市/, 'no more of the address than its prefecture');
  const rows = text.trim().split('\n').slice(1).map((l) => l.split(';'));
  const level = m.quasi_identifiers.prefecture;
  const allowed = [['東京都', '大阪府'], ['関東地方', '近畿地方'], ['*']][level];
  assert.ok(rows.every((x) => allowed.includes(x[2])), `prefecture level ${level}: ${[...new Set(rows.map((x) => x[2]))]}`);
  const groups = rows.reduce((g, x) => g.set(`${x[1]};${x[2]}`, (g.get(`${x[1]};${x[2]}`) || 0) + 1), new Map());
  for (const [key, n] of groups) assert.ok(n >= 3, `${key}: ${n} rows`);
});

test('R3.13 vital signs and medication classes as items: the mean in the window before each checkup, and whether a medicine of the class was dispensed', () => {
  const items = [{ vital: 'body-weight' }, { vital: 'systolic', top: 135 }, { medication: '217' }];
  const r = make(spec({ name: 'vitals-2026', items, quasi_identifiers: ['sex'], k: 2, suppression: 0.5 }));
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.deepEqual(m.items.map((i) => i.code), ['vital:body-weight', 'vital:systolic', 'medication:217']);
  assert.match(m.items[2].name, /薬効分類 217/);
  assert.equal(m.window_days, 90);
  const rows = readFileSync(join(dir, 'vitals-2026.csv'), 'utf8').trim().split('\n').map((l) => l.split(';'));
  assert.deepEqual(rows[0], ['row', 'sex', 'vital:body-weight', 'vital:systolic', 'medication:217']);
  const body = rows.slice(1);
  assert.equal(body.length, 14, 'a row per checkup, as before');
  // Persons 0-7 measured (61+i: the mean of 60+i and 62+i; not the 150 of May); the others did not.
  const weights = body.map((x) => x[2]).filter(Boolean).map(Number).sort((a, b) => a - b);
  assert.deepEqual(weights, [61, 62, 63, 64, 65, 66, 67, 68]);
  assert.equal(body.filter((x) => x[2] === '').length, 6);
  const systolic = body.map((x) => x[3]).filter(Boolean).sort();
  assert.deepEqual(systolic, ['130', '131', '132', '133', '134', '135', '≥135', '≥135'], 'coded to the top');
  const med = body.map((x) => x[4]);
  assert.equal(med.filter((v) => v === '1').length, 2, 'persons 0 and 4: a YJ code 2171…');
  assert.equal(med.filter((v) => v === '').length, 2, 'persons 1 and 5: a code that carries no class');
  assert.equal(med.filter((v) => v === '0').length, 10);

  const refused = (items2, pattern) => {
    const x = make(spec({ name: 'vitals-bad', items: items2 }));
    assert.notEqual(x.status, 0);
    assert.match(x.stderr, pattern);
  };
  refused([{ vital: 'mood' }], /items\[0\]: vital is body-weight/);
  refused([{ medication: '21' }], /items\[0\]: medication is a 薬効分類 of 3 or 4 digits/);
  refused([{ medication: '217', top: 1 }], /medication:217 is a code, not a number: no bounds/);
  refused([{ code: HEIGHT, vital: 'bmi' }], /items\[0\]: one of code, vital or medication/);
});

test('R3.13 a checkup result from a code list as an item: its code (尿糖 "1" for －), no bounds', () => {
  const r = make(spec({ name: 'coded-2026', items: [{ code: '1A020000000190111' }, { code: WEIGHT }], quasi_identifiers: ['sex'], k: 2 }));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).items[0].name, '尿糖');
  const rows = readFileSync(join(dir, 'coded-2026.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(';'));
  assert.equal(rows.length, 14);
  assert.ok(rows.every((x) => x[2] === '1'), 'the synthetic checkup\'s 尿糖 is code 1 (－)');
});

test('R3.13 l-diversity in a spec: every group kept holds at least l distinct values of the sensitive item, recounted; an l out of reach or a sensitive item not held is refused', () => {
  // Coded from 125 up, most systolic values are alike ('≥125'): without the model most groups would hold one value.
  const items = [{ code: HEIGHT }, { code: WEIGHT }, { code: SYSTOLIC, top: 125 }];
  const r = make(spec({ name: 'diverse-2026', items, sensitive: SYSTOLIC, l: 3, k: 3, suppression: 0.3 }));
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.deepEqual([m.sensitive, m.l], [SYSTOLIC, 3]);
  const rows = readFileSync(join(dir, 'diverse-2026.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(';'));
  const kept = rows.filter((x) => !(x[1] === '*' && x[2] === '*' && x[3] === '*'));
  assert.ok(kept.length > 0);
  const groups = new Map();
  for (const x of kept) groups.set(x.slice(1, 4).join(';'), [...(groups.get(x.slice(1, 4).join(';')) || []), x[6]]);
  for (const [key, values] of groups) {
    assert.ok(values.length >= 3, `${key}: k`);
    assert.ok(new Set(values).size >= 3, `${key}: ${values.join(',')} has fewer than 3 distinct values`);
  }
  const refused = (body, pattern, what) => {
    const x = make(body);
    assert.notEqual(x.status, 0, what);
    assert.match(x.stderr, pattern, what);
    assert.equal(existsSync(join(dir, `${body.name}.csv`)), false, `${what}: nothing written`);
  };
  refused(spec({ name: 'l-far', sensitive: SYSTOLIC, l: 15, suppression: 0 }), /no generalisation meets k = 3 and l = 15/, 'l out of reach');
  refused(spec({ name: 'l-alone', l: 2 }), /l and c need a sensitive item/, 'l without a sensitive item');
  refused(spec({ name: 'l-other', sensitive: '9N016000000000001' }), /sensitive \(9N016000000000001\) is not one of the items/, 'a sensitive item not held');
  refused(spec({ name: 'l-bad', sensitive: SYSTOLIC, l: 1 }), /l is a whole number from 2/, 'l below 2');
});

test('R3.13 R2.5 over the API: the manager makes a data set, takes its table out and provides it, each recorded; the table is sealed at rest and survives a key rotation', async () => {
  const manager = await staffSession(srv, 'asset-manager', 'manager-api');
  const officer = await staffSession(srv, 'security-officer', 'officer-api');
  const sets = () => sql(srv.data, 'SELECT count(*) FROM anonymised_sets');
  const before = sets();

  // Only the asset manager makes one; a bad spec is refused over the API too, nothing recorded.
  let r = await call(srv, 'POST', '/api/v1/staff/anonymised', { token: officer.token, body: spec({ name: 'api-2026' }) });
  assert.equal(r.status, 403);
  r = await call(srv, 'POST', '/api/v1/staff/anonymised', { token: manager.token, body: spec({ name: 'api-bad', k: 20, suppression: 0 }) });
  assert.equal(r.status, 422, r.text);
  assert.match(r.body.detail, /k \(20\) is larger than the table's 14 rows/);
  r = await call(srv, 'POST', '/api/v1/staff/anonymised', { token: manager.token, body: spec({ name: 'api-bad', quasi_identifiers: ['income'] }) });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.field, 'quasi_identifiers');
  assert.match(r.body.detail, /quasi_identifiers\[0\]/);
  assert.equal(sets(), before, 'a refusal records nothing');

  r = await call(srv, 'POST', '/api/v1/staff/anonymised', { token: manager.token, body: spec({ name: 'api-2026' }) });
  assert.equal(r.status, 201, r.text);
  const m = r.body;
  assert.equal(m.name, 'api-2026');
  assert.equal(m.rows, 14);

  // Sealed at rest: the stored bytes are not the table, the key not the table's key in the clear.
  assert.equal(sql(srv.data, "SELECT count(*) FROM anonymised_sets WHERE name = 'api-2026' AND table_sealed IS NOT NULL AND length(table_key) = 72"), '1');
  assert.doesNotMatch(sql(srv.data, "SELECT CAST(table_sealed AS TEXT) FROM anonymised_sets WHERE name = 'api-2026'"), /postal_area|9N001/);

  // Taken out by the manager only, the taking out recorded; the officer is refused, recorded.
  const taken = () => sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'anonymised.table' AND result = 'allow' AND reason = 'api-2026'");
  r = await call(srv, 'GET', '/api/v1/staff/anonymised/api-2026/table', { token: officer.token });
  assert.equal(r.status, 403);
  assert.equal(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'anonymised.table' AND result = 'deny'"), '1');
  r = await call(srv, 'GET', '/api/v1/staff/anonymised/api-2026/table', { token: manager.token });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  assert.match(r.headers.get('content-disposition'), /filename="api-2026.csv"/);
  assert.equal(createHash('sha256').update(r.text).digest('hex'), m.sha256, 'the table taken out is the one recorded');
  assert.equal(r.text.split('\n')[0], `row;age;sex;postal_area;${HEIGHT};${WEIGHT};${SYSTOLIC}`);
  assert.equal(taken(), '1');
  assert.equal((await call(srv, 'GET', '/api/v1/staff/anonymised/none/table', { token: manager.token })).status, 404);
  const table = r.text;

  // Provided over the API: the kept table is what is handed over; a recipient without an agreement is refused.
  const recipient = sql(srv.data, "SELECT id FROM recipients WHERE name = 'Univ of Research'");
  const provide = (body, token = manager.token) => call(srv, 'POST', '/api/v1/staff/anonymised/api-2026/provisions', { token, body });
  const provisions = () => sql(srv.data, 'SELECT count(*) FROM anonymised_provisions');
  const n = provisions();
  assert.equal((await provide({ recipient, method: 'sftp' }, officer.token)).status, 403);
  r = await provide({ recipient });
  assert.equal(r.status, 422);
  assert.deepEqual([r.body.code, r.body.field], ['missing', 'method']);
  r = await provide({ method: 'sftp' });
  assert.deepEqual([r.status, r.body.field], [422, 'recipient']);
  r = await provide({ recipient: '00000000-0000-7000-8000-000000000000', method: 'sftp' });
  assert.equal(r.status, 404);
  assert.equal(provisions(), n, 'refusals record nothing');
  r = await provide({ recipient, method: 'SFTP to the university, key sent apart' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.sha256, m.sha256);
  assert.match(r.body.statement.ja, /匿名加工情報/);
  assert.equal(provisions(), String(Number(n) + 1));
  const listed = (await call(srv, 'GET', '/api/v1/anonymised')).body.data_sets.find((d) => d.name === 'api-2026');
  assert.equal(listed.provided[0].method, 'SFTP to the university, key sent apart');

  // A new master key: the rotation re-seals the data set's key; the old key is then not needed.
  await srv.stop({ keep: true });
  const oldKey = join(srv.data, 'master.key'), newKey = join(srv.data, 'master.key.anon');
  assert.equal(phr(['keys', 'new', '--out', newKey]).status, 0);
  const rot = phr(['keys', 'rotate', '--data', srv.data, '--key', newKey, '--old-keys', oldKey, '--log-level', 'warn']);
  assert.equal(rot.status, 0, rot.stderr);
  const kept = sql(srv.data, 'SELECT count(*) FROM anonymised_sets WHERE table_key IS NOT NULL');
  assert.ok(Number(kept) >= 2);
  assert.match(sql(srv.data, "SELECT records FROM audit WHERE action = 'keys.rotate' ORDER BY seq DESC LIMIT 1"), new RegExp(`anonymised:${kept}$`),
    "every data set's key");
  srv = await startServer({ data: srv.data, args: ['--key', newKey] });
  const again = await staffSession(srv, 'asset-manager', 'manager-after', ['--key', newKey]);
  r = await call(srv, 'GET', '/api/v1/staff/anonymised/api-2026/table', { token: again.token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text, table);
  // The command line's data set is kept too, the same as the file it wrote.
  r = await call(srv, 'GET', '/api/v1/staff/anonymised/checkups-2026/table', { token: again.token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text, readFileSync(join(dir, 'checkups-2026.csv'), 'utf8'));
});
