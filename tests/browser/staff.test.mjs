// Staff pages in a real browser: sign-in with a second factor; a handler
// opens a person's records only under a reason; the auditor reads, saves
// and verifies the handling history; the information-asset manager
// administers staff, outside organisations, the policies and the
// anonymised data sets; the security officer reads those. Any CSP
// violation or script error fails the test; screenshots go to
// docs/screenshots/. (R2.1 R2.2 R2.4 R2.8 R3.13)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { call, sql, phr, decide, PASSWORD, uniqueLogin, signupAndLogin, importFile } from '../api/helpers.mjs';
import { world, startWorld, stopWorld, open, clean, shoot, staffSignIn } from './page.mjs';

let srv;
before(async () => {
  await startWorld();
  ({ srv } = world);
});
after(stopWorld);

test('R2.1 R2.2 R2.4 R2.8 staff sign in with a second factor; a handler without a reason is refused; the auditor sees the reason, saves and verifies; the manager administers staff', async () => {
  const staff = {};
  for (const role of ['handler', 'auditor', 'asset-manager']) {
    const r = phr(['staff', 'add', '--data', srv.data, '--login', `${role}-portal@provider.example.jp`, '--role', role, '--log-level', 'warn']);
    assert.equal(r.status, 0, r.stderr);
    staff[role] = JSON.parse(r.stdout.trim().split('\n').at(-1));
  }
  const login = uniqueLogin('patient');
  assert.equal((await call(srv, 'POST', '/api/v1/signup', { body: { login, password: PASSWORD } })).status, 201);
  const person = sql(srv.data, `SELECT id FROM persons WHERE login = '${login}'`);
  const patientToken = (await call(srv, 'POST', '/api/v1/login', { body: { login, password: PASSWORD } })).body.token;
  assert.equal((await decide(srv, patientToken, [{ purpose: 'service', decision: 'grant' }])).status, 201);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: patientToken, body: { resourceType: 'Observation', status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] }, effectiveDateTime: '2026-12-05T05:22:00+09:00',
    component: [[128, '8480-6'], [84, '8462-4']].map(([v, c]) => ({ code: { coding: [{ system: 'http://loinc.org', code: c }] },
      valueQuantity: { value: v, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } })) } })).status, 201);

  const signIn = (page, who) => staffSignIn(page, staff[who]);
  const { page, context, problems } = await open();
  await signIn(page, 'handler');
  await page.fill('#handler-person', person);
  await page.click('#handler-open');
  await page.waitForSelector('#handler-message.error');
  await clean(page, '#handler-message.error');
  const refused = await page.textContent('#handler-message');
  assert.match(refused, /^閲覧の理由を登録してから開いてください/);
  assert.doesNotMatch(refused, /X-PHR-Reason|\/api\//, 'the developer\'s hint is not shown');
  // The person calling gives their login: the handler finds them by it, and reads names, values and Japan time.
  await page.fill('#handler-person', login);
  await page.fill('#handler-reason', 'inquiry #4711 by phone');
  await page.click('#handler-open');
  await page.waitForSelector('#handler-message.ok');
  const seen = await page.textContent('#handler-records');
  assert.match(seen, /2026年12月5日 05:22/);
  assert.match(seen, /血圧.*128 \/ 84 mmHg/);
  assert.doesNotMatch(seen, /85354-9|T\d\d:|Z\b/, 'no codes, no ISO times');
  assert.match(sql(srv.data, `SELECT reason FROM access_reasons WHERE person_id = '${person}'`), /4711/);
  await shoot(page, 'staff-handler');
  // The header says who is signed in, in every tab, and signs out (issue 21 item 7).
  assert.match(await page.textContent('#staff-session'), /職員: 取扱者/);
  assert.equal(await page.locator('#nav a[href="#/record"]').count(), 0, 'not the person\'s menu');
  const tab = await context.newPage();
  await tab.goto(srv.url + '/#/staff');
  await tab.waitForSelector('#staff-session');
  assert.match(await tab.textContent('main h1'), /職員（取扱者）/);
  await tab.click('#staff-signout');
  await tab.waitForSelector('#staff-login');
  await page.goto(srv.url + '/#/');
  await page.goto(srv.url + '/#/staff');
  await page.waitForSelector('#staff-login');
  await context.close();

  const a = await open();
  sql(srv.data, `UPDATE staff SET totp_last_step = 0`);
  await signIn(a.page, 'auditor');
  await a.page.fill('#audit-person', person);
  assert.equal(await a.page.getAttribute('#audit-from', 'type'), 'date', 'days are picked, not typed');
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
  await a.page.fill('#audit-from', today);
  await a.page.click('#audit-query');
  await a.page.waitForSelector('#audit-entries table');
  const text = await a.page.textContent('#audit-entries');
  assert.match(text, /inquiry #4711 by phone/);
  assert.match(text, /拒否/, 'results in words');
  assert.match(text, /記録を検索した ?record\.search/, 'actions in words, with the code the filter takes');
  assert.match(text, /取扱者/, 'roles in words');
  // The auditor saves the range as a file and verifies the whole history.
  const [file] = await Promise.all([a.page.waitForEvent('download'), a.page.click('#audit-export')]);
  assert.ok(JSON.parse(readFileSync(await file.path(), 'utf8')).entries.some((e) => e.reason === 'inquiry #4711 by phone'));
  await a.page.click('#audit-verify');
  await a.page.waitForSelector('#audit-verified.ok');
  assert.match(await a.page.textContent('#audit-verified'), /改ざんはありません/);
  await a.context.close();

  // The information-asset manager adds a handler (shown once), changes a role, disables an account.
  const m = await open();
  sql(srv.data, `UPDATE staff SET totp_last_step = 0`);
  await signIn(m.page, 'asset-manager');
  await m.page.waitForSelector('#staff-accounts');
  await m.page.fill('#new-staff-login', 'added-portal@provider.example.jp');
  await m.page.selectOption('#new-staff-role', 'handler');
  await m.page.click('#staff-add-submit');
  await m.page.waitForSelector('#staff-new li');
  assert.match(await m.page.textContent('#staff-new'), /otpauth:\/\//);
  assert.equal(await m.page.locator('#staff-new svg.qr path').count(), 1, 'the authenticator\'s QR code, to scan from this screen');
  const row = m.page.locator('#staff-accounts tr', { hasText: 'added-portal@provider.example.jp' });
  await row.locator('select.staff-role').selectOption('auditor');
  await m.page.waitForSelector('dialog#confirm[open]');
  await clean(m.page, 'dialog#confirm[open]');
  assert.match(await m.page.textContent('dialog#confirm'), /取扱者 → 監査者/);
  await m.page.click('#confirm-act');
  await m.page.waitForFunction(() => [...document.querySelectorAll('#staff-accounts tr')].some((r) => /added-portal/.test(r.textContent) && r.querySelector('select').value === 'auditor'));
  assert.equal(sql(srv.data, "SELECT role FROM staff WHERE login = 'added-portal@provider.example.jp'"), 'auditor');
  await m.page.locator('#staff-accounts tr', { hasText: 'added-portal@provider.example.jp' }).locator('button.staff-disable').click();
  await m.page.waitForSelector('dialog#confirm[open]');
  await clean(m.page, 'dialog#confirm[open]');
  assert.match(await m.page.textContent('dialog#confirm'), /すぐにログアウトされ/);
  await m.page.click('#confirm-act');
  await m.page.waitForSelector('#staff-accounts tr:has-text("added-portal") button.staff-enable');
  assert.equal(sql(srv.data, "SELECT status FROM staff WHERE login = 'added-portal@provider.example.jp'"), 'disabled');
  assert.match(await m.page.textContent('#organisations'), /Clinic A.*DPA-1 \(2026年11月1日\)/s, 'the outside organisations with their agreements, days in Japan');

  // R2.7: an outside organisation (its API secret shown once), its agreement and its group.
  await m.page.fill('#org-name', 'Clinic B');
  await m.page.selectOption('#org-kind', 'recipient');
  await m.page.fill('#org-address', '3-3 Kita, Osaka');
  await m.page.fill('#org-contact', 'b@example.jp');
  await m.page.click('#org-add-submit');
  await m.page.waitForSelector('#org-secret li');
  assert.match(await m.page.textContent('#org-secret'), /client_secret: [0-9a-f]{64}/);
  await m.page.waitForSelector('#organisations tr:has-text("Clinic B")');
  await m.page.selectOption('#agreement-org', { label: 'Clinic B' });
  await m.page.fill('#agreement-signed', '2026-12-01');
  await m.page.fill('#agreement-version', 'DPA-B');
  await m.page.click('#org-agreement-submit');
  await m.page.waitForSelector('#organisations tr:has-text("DPA-B (2026年12月1日)")');
  await m.page.selectOption('#member-org', { label: 'Clinic B' });
  await m.page.fill('#member-group', 'demo-partners');
  await m.page.click('#member-join');
  await m.page.waitForSelector('#organisations tr:has-text("Clinic B"):has-text("demo-partners")');
  await shoot(m.page, 'staff-manager');

  // R3.1 R3.5: a purpose's change, refused until it is marked, previewed, then published.
  await m.page.click('#policy-admin-link');
  await m.page.waitForSelector('#policy-purpose');
  await m.page.selectOption('#policy-purpose', { label: 'research' });
  const before = await m.page.inputValue('#policy-purpose-description-ja');
  await m.page.fill('#policy-purpose-description-ja', `${before}（改善の内容は本サービス上で公表します）`);
  await m.page.click('#policy-check');
  await m.page.waitForSelector('#policy-message.error');
  await clean(m.page, '#policy-message.error');
  assert.match(await m.page.textContent('#policy-message'), /mark the change "material"/);
  assert.equal(await m.page.isDisabled('#policy-publish'), true);
  await m.page.check('#policy-change-minor');
  await m.page.click('#policy-check');
  await m.page.waitForSelector('#policy-changes li');
  assert.match(await m.page.textContent('#policy-changes'), /research.*2.*軽微な変更/);
  assert.equal(sql(srv.data, "SELECT max(version) FROM purposes WHERE code = 'research'"), '1', 'the preview wrote nothing');
  await shoot(m.page, 'staff-policies');
  await m.page.click('#policy-publish');
  await m.page.waitForSelector('#policy-message.ok');
  assert.equal(sql(srv.data, "SELECT change FROM purposes WHERE code = 'research' AND version = 2"), 'minor');
  assert.match(sql(srv.data, "SELECT records FROM audit WHERE action = 'policy.publish' ORDER BY seq DESC LIMIT 1"), /research:v2/);
  assert.deepEqual([...problems, ...a.problems, ...m.problems], []);
  await m.context.close();
});

test('R3.13 R2.1 the information-asset manager makes an anonymised data set in the portal, reads its method, takes out its table and records its provision; the security officer reads only', async () => {
  const add = (role) => {
    const r = phr(['staff', 'add', '--data', srv.data, '--login', `anon-${role}@provider.example.jp`, '--role', role, '--log-level', 'warn']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1));
  };
  const manager = add('asset-manager'), officer = add('security-officer');
  const cda = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');
  for (const year of [1962, 1975, 1988]) {
    const who = await signupAndLogin(srv);
    assert.equal((await importFile(srv, who, cda.replace('<birthTime value="19800401"/>', `<birthTime value="${year}0401"/>`), 'application/xml')).status, 201);
  }
  const items = (await call(srv, 'GET', '/api/v1/checkup-items')).body;
  const label = (code) => {
    const i = items.find((x) => x.code === code);
    return `${i.name}${i.unit ? ` (${i.unit})` : ''} — ${i.code}`;
  };
  const sets = () => sql(srv.data, 'SELECT count(*) FROM anonymised_sets');

  const { page, context, problems } = await open();
  await staffSignIn(page, manager);
  await page.click('#anonymised-admin-link');
  await page.waitForSelector('#anon-make');
  assert.match(await page.textContent('main h1'), /匿名加工情報の作成と提供/);
  await page.fill('#anon-name', 'portal-2026');
  await page.fill('#anon-from', '2026-04-01');
  await page.fill('#anon-to', '2027-03-31');
  await page.click('#anon-item-add');
  await page.waitForSelector('#anon-item-message.error');
  assert.match(await page.textContent('#anon-item-message'), /項目を一覧から選んでください/);
  for (const code of ['9N001000000000001', '9N006000000000001']) {
    await page.fill('#anon-item', label(code));
    await page.click('#anon-item-add');
  }
  await page.fill('#anon-chosen tbody tr:nth-child(2) input[aria-label$="上限"]', '90');
  // A home measurement and a medicine class too.
  await page.fill('#anon-item', '体重 （測定値の平均） — vital:body-weight');
  await page.click('#anon-item-add');
  await page.fill('#anon-medication', '21');
  await page.click('#anon-medication-add');
  assert.match(await page.textContent('#anon-item-message'), /3桁か4桁/);
  await page.fill('#anon-medication', '214');
  await page.click('#anon-medication-add');
  assert.equal(await page.locator('#anon-chosen tbody tr').count(), 4);
  assert.deepEqual(await Promise.all(['age', 'sex', 'prefecture', 'postal_area'].map((q) => page.isChecked(`#anon-qi-${q}`))),
    [true, true, true, false], 'age, sex and prefecture to begin with');
  // k out of reach: refused with the reason, nothing made.
  await page.fill('#anon-k', '100');
  await page.click('#anon-make-submit');
  await page.waitForSelector('dialog#confirm[open]');
  await clean(page, 'dialog#confirm[open]');
  assert.match(await page.textContent('dialog#confirm'), /すぐ載ります/);
  await page.click('#confirm-act');
  await page.waitForSelector('#anon-message.error');
  await clean(page, '#anon-message.error');
  assert.match(await page.textContent('#anon-message'), /k \(100\) is larger than the table's \d+ rows/);
  // Every height alike: no grouping keeps two distinct heights in a group (l-diversity), refused naming l.
  await page.fill('#anon-k', '2');
  await page.selectOption('#anon-sensitive', '9N001000000000001');
  await page.fill('#anon-l', '2');
  await page.click('#anon-make-submit');
  await page.click('#confirm-act');
  await page.waitForFunction(() => /l = 2/.test(document.querySelector('#anon-message')?.textContent || ''));
  const before = sets();
  await page.selectOption('#anon-sensitive', '');
  await page.fill('#anon-suppression', '50');
  await page.click('#anon-make-submit');
  await page.click('#confirm-act');
  await page.waitForSelector('#anon-message.ok');
  assert.equal(sets(), String(Number(before) + 1));
  const result = await page.textContent('#anon-result');
  assert.match(result, /年齢 段階 \d/);
  assert.match(result, /都道府県 段階 \d/);
  assert.match(result, /SHA-256[0-9a-f]{64}/);
  await page.waitForSelector('#anon-sets li[data-set="portal-2026"]');
  assert.match(await page.textContent('#anon-sets li[data-set="portal-2026"]'), /含まれる項目: 身長、体重、体重（測定値の平均）、薬効分類 214 の薬の調剤（有無）/);

  // The method, the table (its taking out recorded), then the provision with its delivery note.
  await page.click('#anon-method-portal-2026-open');
  await page.waitForSelector('#anon-method-portal-2026 dl');
  assert.match(await page.textContent('#anon-method-portal-2026'), /一般化の段階/);
  const [file] = await Promise.all([page.waitForEvent('download'), page.click('#anon-table-portal-2026')]);
  const table = readFileSync(await file.path(), 'utf8');
  assert.equal(createHash('sha256').update(table).digest('hex'), sql(srv.data, "SELECT table_sha256 FROM anonymised_sets WHERE name = 'portal-2026'"));
  assert.equal(table.split('\n')[0], 'row;age;sex;prefecture;9N001000000000001;9N006000000000001;vital:body-weight;medication:214');
  assert.equal(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'anonymised.table' AND reason = 'portal-2026'"), '1');
  await page.selectOption('#anon-provide-portal-2026-recipient', { label: 'Clinic A' });
  await page.click('#anon-provide-portal-2026-submit');
  await page.click('#confirm-act');
  await page.waitForSelector('#anon-provide-portal-2026-message.error');
  await clean(page, '#anon-provide-portal-2026-message.error');
  assert.equal(sql(srv.data, 'SELECT count(*) FROM anonymised_provisions p JOIN anonymised_sets s ON s.id = p.set_id WHERE s.name = \'portal-2026\''), '0');
  await page.fill('#anon-provide-portal-2026-method', '暗号化したファイルを提供先のポータルへ（鍵は別経路）');
  await page.click('#anon-provide-portal-2026-submit');
  await page.waitForSelector('dialog#confirm[open]');
  assert.match(await page.textContent('dialog#confirm'), /portal-2026 → Clinic A/);
  await page.click('#confirm-act');
  await page.waitForSelector('#anon-note');
  assert.match(await page.textContent('#anon-note'), /匿名加工情報.*SHA-256: [0-9a-f]{64}/s);
  await page.waitForFunction(() => /暗号化したファイルを提供先のポータルへ/.test(document.querySelector('#anon-sets li[data-set="portal-2026"]')?.textContent || ''));
  await shoot(page, 'staff-anonymised');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'on a phone the page is no wider than the phone');
  await context.close();

  // The security officer reads the data sets and their methods; makes, takes out and provides nothing.
  const o = await open();
  await staffSignIn(o.page, officer);
  await o.page.click('#anonymised-admin-link');
  await o.page.waitForSelector('#anon-sets li[data-set="portal-2026"]');
  assert.equal(await o.page.locator('#anon-make, #anon-table-portal-2026, #anon-provide-portal-2026').count(), 0);
  await o.page.click('#anon-method-portal-2026-open');
  await o.page.waitForSelector('#anon-method-portal-2026 dl');
  await clean(o.page, 'anonymised data sets, security officer');
  assert.deepEqual([...problems, ...o.problems], []);
  await o.context.close();
});
