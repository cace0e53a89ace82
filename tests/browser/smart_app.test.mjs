// SMART's own JavaScript client (fhirclient, unmodified) runs a standalone
// patient launch in Chromium from a page on another origin (issue 19): it
// discovers the endpoints, sends the person to the portal, where they sign
// in and approve; it exchanges the code with PKCE, records a reading and
// reads their Observations across origins (CORS); it is refused outside its scopes,
// and cut off at once when the person revokes it in the portal. Any CSP
// violation or script error on the portal fails the test. (R3.3 R3.4 R3.6)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer, call, phr, publishPurpose, signupAndLogin, create, bloodPressure, PASSWORD, sql } from '../api/helpers.mjs';

const CHROMIUM = process.env.PHR_CHROMIUM || '/usr/bin/chromium';
const FHIRCLIENT = new URL('../node_modules/fhirclient/build/fhir-client.js', import.meta.url).pathname;

let srv, browser, appServer, appOrigin, app;

// The app: a launch page that starts the flow and a page that finishes it
// and reads, each as fhirclient's documentation shows them.
function appPages(iss, clientId, reading) {
  const head = '<!doctype html><meta charset="utf-8"><script src="/fhir-client.js"></script>';
  return {
    '/launch.html': `${head}<script>FHIR.oauth2.authorize({ iss: ${JSON.stringify(iss)}, clientId: ${JSON.stringify(clientId)},
      scope: 'launch/patient patient/Patient.rs patient/Observation.crs offline_access', redirectUri: 'app.html' });</script>`,
    '/app.html': `${head}<pre id="out">working</pre><script>
      window.readAgain = async () => {
        try { const b = await window.client.request('Observation'); return { ok: true, total: b.total }; }
        catch (e) { return { ok: false, status: e.status || (e.response && e.response.status) || 0, message: String(e.message) }; }
      };
      FHIR.oauth2.ready().then(async (client) => {
        window.client = client;
        const made = await client.create(${JSON.stringify(reading)});
        const me = await client.patient.read();
        const bundle = await client.request('Observation');
        let meds;
        try { await client.request('MedicationDispense'); meds = 'allowed'; }
        catch (e) { meds = e.status || (e.response && e.response.status) || String(e.message); }
        document.getElementById('out').textContent = JSON.stringify({ patient: client.patient.id, read: me.id, total: bundle.total,
          made: made.id, values: bundle.entry.map((e) => e.resource.component[0].valueQuantity.value).sort(), meds,
          refresh: !!client.state.tokenResponse.refresh_token });
      }).catch((e) => { document.getElementById('out').textContent = 'error: ' + e.message; });
    </script>`,
  };
}

before(async () => {
  srv = await startServer();
  const run = (...args) => {
    const r = phr([...args, '--data', srv.data, '--log-level', 'warn']);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim() ? JSON.parse(r.stdout) : null;
  };
  const fhirclient = readFileSync(FHIRCLIENT);
  let pages = {};
  appServer = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/fhir-client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(fhirclient);
    }
    if (!pages[path]) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(pages[path]);
  });
  await new Promise((resolve) => appServer.listen(0, '127.0.0.1', resolve));
  appOrigin = `http://127.0.0.1:${appServer.address().port}`;
  run('recipient', 'group', '--group', 'bp-app-users', '--name', 'Kenko BP app users');
  app = run('recipient', 'add', '--name', 'けんこう血圧', '--address', '東京都港区2-2', '--country', 'JP', '--contact', 'app@example.jp');
  run('recipient', 'agreement', '--recipient', app.id, '--signed', '2026-11-01', '--agreement-version', 'APP-1');
  run('recipient', 'join', '--group', 'bp-app-users', '--recipient', app.id);
  run('recipient', 'app', '--recipient', app.id, '--public', '--redirect-uris', `${appOrigin}/app.html`, '--origins', appOrigin,
    '--scopes', 'launch/patient offline_access patient/*.rs patient/Observation.c');
  const published = await publishPurpose(srv, { code: 'provision-bp-app', required: false,
    title: { ja: '血圧アプリへの提供', en: 'Provision to the blood-pressure app' },
    description: { ja: 'あなたが連携した血圧アプリに、血圧などの測定値を提供します。', en: 'Your measurements go to the app you connect.' },
    recipient_group: 'bp-app-users', kinds: ['vital-signs'] });
  assert.equal(published.status, 0, published.stderr);
  pages = appPages(`${srv.url}/fhir`, app.client_id, bloodPressure(133, 86, '2026-11-05T07:00:00+09:00'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  await new Promise((resolve) => (appServer ? appServer.close(resolve) : resolve()));
});

test('R3.3 R3.4 R3.6 fhirclient: launch, sign in and approve in the portal, record and read across origins, refused outside the scopes, cut off when revoked', async () => {
  const person = await signupAndLogin(srv);
  await create(srv, person, bloodPressure(126, 81));
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`); });

  await page.goto(`${appOrigin}/launch.html`);
  // The portal asks the person to sign in first, then shows the app.
  await page.waitForSelector('#login-login');
  await page.fill('#login-login', person.login);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#app-approve');
  const shown = await page.textContent('main');
  assert.match(shown, /けんこう血圧/);
  assert.match(shown, /東京都港区2-2/);
  assert.match(shown, /測定値と健診の結果（血圧・体重・検査値など）を読み、記録する/, 'the data in words, not scope strings');
  assert.match(shown, /血圧アプリへの提供/, 'the purpose the person consents to');
  await page.click('#app-approve');
  // On the app's page (not still the portal's), once fhirclient has read.
  await page.waitForFunction(() => {
    const out = document.getElementById('out');
    return out && out.textContent !== 'working';
  }, null, { timeout: 20000 });
  const out = await page.textContent('#out');
  assert.ok(out.startsWith('{'), out);
  const result = JSON.parse(out);
  assert.equal(result.patient, person.personId);
  assert.equal(result.read, person.personId, 'client.patient.read() works');
  assert.equal(result.total, 2, 'the reading it recorded, and the one before');
  assert.deepEqual(result.values, [126, 133]);
  assert.equal(sql(srv.data, `SELECT recorded_by || '|' || channel FROM records WHERE id = '${result.made}'`),
    `recipient:${app.client_id}|app`, 'the app is its source');
  assert.equal(result.meds, 403, 'outside its scopes');
  assert.equal(result.refresh, true);
  assert.deepEqual(problems, []);

  // The person revokes it in the portal (same browser, the portal's origin).
  const portal = await context.newPage();
  portal.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  portal.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`); });
  await portal.goto(`${srv.url}/#/apps`);
  const grant = sql(srv.data, `SELECT id FROM app_grants WHERE person_id = '${person.personId}' AND revoked_at IS NULL`);
  await portal.waitForSelector(`#revoke-${grant}`);
  const listed = await portal.textContent('main');
  assert.match(listed, /けんこう血圧/);
  assert.match(listed, /測定値と健診の結果.*を読み、記録する/, 'what it may read and record, in words');
  await portal.click(`#revoke-${grant}`);
  await portal.waitForSelector('dialog#confirm[open]');
  assert.match(await portal.textContent('dialog#confirm'), /データを読めなくなります/);
  await portal.click('#confirm-act');
  await portal.waitForSelector('#apps-message.ok');
  const after = await page.evaluate(() => window.readAgain());
  assert.equal(after.ok, false, 'the next read is refused at once');
  assert.equal(after.status, 401, JSON.stringify(after));
  assert.deepEqual(problems, []);
  const left = await call(srv, 'GET', '/api/v1/me/apps', { token: person.token });
  assert.ok(left.body.apps[0].revoked_at);
  await context.close();
});
