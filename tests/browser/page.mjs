// What the browser tests share: one server with an outside organisation
// under an agreement, one chromium, pages that fail the test on any CSP
// violation or script error, and the checks every view passes (axe-core,
// named controls, readable contrast) before its screenshots are taken.
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer, call, phr, decide, totp, PASSWORD, uniqueLogin } from '../api/helpers.mjs';

const CHROMIUM = process.env.PHR_CHROMIUM || '/usr/bin/chromium';
const SHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;

// srv, browser and clinic (a recipient with agreement DPA-1 in group demo-partners), once per test file.
export const world = {};
let browser, srv;

export async function startWorld() {
  srv = await startServer();
  const run = (...args) => {
    const r = phr([...args, '--data', srv.data, '--log-level', 'warn']);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout ? JSON.parse(r.stdout) : null;
  };
  run('recipient', 'group', '--group', 'demo-partners', '--name', 'Demo Health Partners');
  const clinic = run('recipient', 'add', '--name', 'Clinic A', '--address', '1-1 Chiyoda, Tokyo', '--country', 'JP', '--contact', 'desk@example.jp');
  run('recipient', 'agreement', '--recipient', clinic.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-1');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', clinic.id);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  mkdirSync(SHOTS, { recursive: true });
  Object.assign(world, { srv, browser, clinic });
}

export async function stopWorld() {
  await browser?.close();
  await srv?.stop();
}

// A page that fails the test on any CSP violation or script error.
export async function open(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'ja-JP' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (40[1349]|422)/.test(m.text())) problems.push(`console: ${m.text()}`);
    if (/Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  return { page, context, problems };
}

// Every form control and button a screen reader reaches has a name: a
// label, an aria-label, or (buttons, links) its text.
async function unnamed(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button, a, [role=img]')]
    .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
    .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') ||
      (/^(BUTTON|A)$/.test(el.tagName) && el.textContent.trim())))
    .map((el) => `${el.tagName.toLowerCase()}#${el.id || '?'}`));
}

// Text whose contrast with what is behind it is under WCAG AA's 4.5:1
// (disabled controls are exempt).
async function lowContrast(page) {
  return page.evaluate(() => {
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }).reduce((a, c, i) => a + c * [0.2126, 0.7152, 0.0722][i], 0);
    const behind = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const bad = [];
    for (const el of document.querySelectorAll('body *')) {
      if (el.disabled || el.offsetParent === null || el.closest('svg')) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(behind(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) bad.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} ${ratio.toFixed(2)}: ${el.textContent.trim().slice(0, 20)}`);
    }
    return bad;
  });
}

// A new person who consented to the service, signed in on page at #/home;
// their API token.
export async function signedIn(page, tag) {
  const login = uniqueLogin(tag);
  assert.equal((await call(srv, 'POST', '/api/v1/signup', { body: { login, password: PASSWORD } })).status, 201);
  const token = (await call(srv, 'POST', '/api/v1/login', { body: { login, password: PASSWORD } })).body.token;
  assert.equal((await decide(srv, token, [{ purpose: 'service', decision: 'grant' }])).status, 201);
  await page.goto(srv.url + '/#/login');
  await page.fill('#login-login', login);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForURL(/#\/home/);
  return token;
}

// axe-core (Deque) over the page as it stands: every violation, serious
// or not, named with the elements it found. Run through the debugger, so
// that the page's own strict CSP still holds for everything else.
const AXE = readFileSync(new URL('../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
async function axeViolations(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
}


// A member of staff (as 'phr staff add' printed them) signed in on page, at #/staff.
export async function staffSignIn(page, who) {
  await page.goto(srv.url + '/#/staff/login');
  await page.fill('#staff-login', who.login);
  await page.fill('#staff-password', who.password);
  await page.fill('#staff-otp', totp(who.totp_uri));
  await page.click('#staff-submit');
  await page.waitForURL(/#\/staff$/);
}

// A page in any state (an error shown, a dialog open): axe-core finds
// nothing, every control is named, all text is readable.
export async function clean(page, name) {
  assert.deepEqual(await axeViolations(page), [], `${name}: axe-core`);
  assert.deepEqual(await unnamed(page), [], `${name}: controls without a name`);
  assert.deepEqual(await lowContrast(page), [], `${name}: text under 4.5:1 contrast`);
}

// Screenshots of a main page at phone and desktop widths, after checking
// that its controls are named and its text readable.
export async function shoot(page, name) {
  await clean(page, name);
  for (const [w, hgt, suffix] of [[390, 844, 'phone'], [1280, 800, 'desktop']]) {
    await page.setViewportSize({ width: w, height: hgt });
    await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header where it belongs in a whole-page picture
    await page.screenshot({ path: `${SHOTS}${name}-${suffix}.png`, fullPage: true });
  }
}
