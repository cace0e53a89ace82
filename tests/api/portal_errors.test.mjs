// What the portal tells a person when the service refuses (issue 21 item 3):
// for every error code the service has, in Japanese and in English, the
// title and the next step the portal adds (web/js/errors.js) say what is
// wrong and what to do, in that language, and never name a route, a header
// or a status. And the refusals a person meets in the portal, produced for
// real: their answer carries the code, the title in the language asked for,
// and the detail apart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, call, signupAndLogin, bloodPressure } from './helpers.mjs';
import { NEXT_STEP, messageOf } from '../../web/js/errors.js';

const TECHNICAL = /\/api\/|\/fhir|\bX-[A-Z]|\b(GET|POST|PUT|DELETE|PATCH)\b|\bHTTP\b|\b[45]\d\d\b|Bearer/;
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

let srv, codes;
before(async () => {
  srv = await startServer();
  codes = (await call(srv, 'GET', '/api/v1/errors')).body.errors;
});
after(async () => { await srv.stop(); });

test('R2.9 every error code: its title and the portal\'s next step, in both languages, say what to do without routes, headers or statuses', () => {
  assert.ok(codes.length >= 50, `${codes.length} codes`);
  const known = new Set(codes.map((c) => c.code));
  assert.deepEqual(Object.keys(NEXT_STEP).filter((c) => !known.has(c)), [], 'a next step for a code the service does not have');
  for (const c of codes) {
    const ja = messageOf(c.code, c.title.ja, 'ja');
    const en = messageOf(c.code, c.title.en, 'en');
    assert.match(ja, JAPANESE, `${c.code}: Japanese`);
    assert.doesNotMatch(ja, /[a-z]{3,}/, `${c.code}: no English words in the Japanese message: ${ja}`);
    assert.doesNotMatch(ja, TECHNICAL, `${c.code}: ${ja}`);
    assert.doesNotMatch(en, TECHNICAL, `${c.code}: ${en}`);
    assert.match(en, /^[A-Z]/, `${c.code}: English`);
  }
});

test('R2.9 the refusals a person meets in the portal answer with their code and a title in the language asked for, the detail apart', async () => {
  const me = await signupAndLogin(srv);
  const ask = (method, path, token, body, language, headers = {}) =>
    call(srv, method, path, { token, body, headers: { 'accept-language': language, ...headers } });
  const cases = [
    ['sign-in-failed', (l) => ask('POST', '/api/v1/login', null, { login: 'nobody@example.jp', password: 'a wrong passphrase' }, l)],
    ['sign-in-required', (l) => ask('GET', '/api/v1/me/consents', null, undefined, l)],
    ['consent-required', async (l) => {
      const other = await signupAndLogin(srv, undefined, { consent: false });
      return ask('POST', '/fhir/Observation', other.token, bloodPressure(120, 80), l);
    }],
    ['use-suspended', async (l) => {
      const who = await signupAndLogin(srv);
      const s = await call(srv, 'POST', '/api/v1/me/suspensions', { token: who.token, body: { purpose: '*', action: 'suspend' } });
      assert.ok(s.status < 300, s.text);
      return ask('POST', '/fhir/Observation', who.token, bloodPressure(120, 80), l);
    }],
    ['password-weak', (l) => ask('POST', '/api/v1/signup', null, { login: 'weak@example.jp', password: 'short' }, l)],
    ['media-type', (l) => ask('POST', '/api/v1/imports', me.token, 'hello', l, { 'content-type': 'image/png' })],
  ];
  for (const [code, make] of cases) {
    for (const language of ['ja', 'en']) {
      const r = await make(language);
      const got = r.body.code ?? r.body.issue?.[0]?.details?.coding?.[0]?.code;
      assert.equal(got, code, `${code} (${language}): ${r.status} ${r.text}`);
      const title = r.body.title ?? r.body.issue?.[0]?.details?.text;
      const shown = messageOf(code, title, language);
      if (language === 'ja') {
        assert.match(shown, JAPANESE, `${code}: ${shown}`);
        assert.doesNotMatch(shown, /[a-z]{3,}/, `${code}: ${shown}`);
      }
      assert.doesNotMatch(shown, TECHNICAL, `${code} (${language}): ${shown}`);
    }
  }
});

test('R2.8 R3.8 every action the gate records has words in both languages, for the person\'s access log and the auditor\'s table', async () => {
  const { ACTIONS, RESULTS } = await import('../../web/js/audit_words.js');
  const gate = readFileSync(new URL('../../src/access/gate.c', import.meta.url), 'utf8');
  const named = [...gate.matchAll(/\[ACT_\w+\] = "([a-z.-]+)"/g)].map((m) => m[1]);
  assert.ok(named.length >= 30, `${named.length} actions read from gate.c`);
  assert.deepEqual(named.filter((a) => !ACTIONS[a]), [], 'actions without words');
  for (const [code, [ja, en]] of Object.entries({ ...ACTIONS, ...RESULTS })) {
    assert.match(ja, JAPANESE, code);
    assert.match(en, /^[A-Z]/, code);
  }
});
