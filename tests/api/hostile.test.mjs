// Hostile input (issue 17 item 6, R2.9): the probes an attacker sent that
// got through, each now refused at once with a clear answer and nothing
// changed — JSON that C strings would cut or that says a key twice, bytes
// that are not UTF-8, a spreadsheet formula in a value, a URL with a
// thousand parameters, a body length given twice or both ways, a Host the
// service does not answer for, an XML error that would print a person's
// line into the log, a stranger locking a person out of their account.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'node:http';
import { startServer, call, signupAndLogin, importFile, sql, PASSWORD, uniqueLogin } from './helpers.mjs';

let srv, me;
before(async () => {
  srv = await startServer();
  me = await signupAndLogin(srv);
});
after(async () => { await srv.stop(); });

// The whole answer to bytes sent as they are (fetch would mend them).
const answer = (text, on = srv) => new Promise((resolve, reject) => {
  const s = connect(Number(new URL(on.url).port), '127.0.0.1', () => s.end(text));
  let got = '';
  s.setTimeout(15000, () => { s.destroy(); reject(new Error('no answer')); });
  s.on('data', (d) => { got += d; });
  s.on('end', () => resolve(got));
  s.on('error', reject);
});
const raw = async (text) => (await answer(text)).split('\r\n')[0];

test('R2.9 JSON with an escaped NUL or a key given twice is refused, and nothing is stored', async () => {
  const nul = await call(srv, 'POST', '/api/v1/signup', { body: '{"login":"nul\\u0000@example.jp","password":"a long enough passphrase"}' });
  assert.equal(nul.status, 400, nul.text);
  assert.match(nul.body.detail, /u0000/);
  assert.equal(sql(srv.data, "SELECT count(*) FROM persons WHERE login LIKE 'nul%'"), '0');
  const twice = await call(srv, 'POST', '/api/v1/login', { body: `{"login":"${me.login}","password":"wrong","password":"${PASSWORD}"}` });
  assert.equal(twice.status, 400, twice.text);
  assert.match(twice.body.detail, /same key twice/);
  const nested = await call(srv, 'POST', '/fhir/Observation', {
    token: me.token, body: '{"resourceType":"Observation","status":"final","code":{"coding":[],"coding":[]}}',
    headers: { 'content-type': 'application/fhir+json' },
  });
  assert.equal(nested.status, 400, nested.text);
  // An escaped backslash before "u0000" is text, not a NUL.
  const fine = await call(srv, 'POST', '/api/v1/login', { body: `{"login":"${me.login}","password":"\\\\u0000 not it"}` });
  assert.equal(fine.status, 401);
});

test('R2.9 a CSV that is not UTF-8 is refused; a formula in a display is written as text in every CSV', async () => {
  const sjis = Buffer.concat([Buffer.from('effective,body-weight\n2026-11-01T07:00:00+09:00,60\n'), Buffer.from([0x93, 0xfa, 0x0a])]);
  const r = await importFile(srv, me, sjis, 'text/csv');
  assert.equal(r.status, 422, r.text);
  assert.match(r.body.detail, /not UTF-8/);
  const body = { resourceType: 'Observation', status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: "=cmd|' /C calc'!A0" }] },
    effectiveDateTime: '2026-11-01T07:00:00+09:00', valueQuantity: { value: 61.2, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } };
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: me.token, body })).status, 201);
  const csv = (await call(srv, 'GET', '/api/v1/me/export/observations.csv', { token: me.token, json: false })).text;
  assert.ok(csv.includes(`"'=cmd|' /C calc'!A0"`), csv);
  assert.ok(!csv.split(/[\r\n,]/).some((cell) => /^[=+\-@]/.test(cell)), 'no cell a spreadsheet would run');
});

test('R2.9 a URL with a thousand query parameters is answered at once with 414', async () => {
  const q = Array.from({ length: 1000 }, (_, i) => `a${i}=1`).join('&');
  const r = await fetch(`${srv.url}/api/v1/health?${q}`, { signal: AbortSignal.timeout(15000) });
  assert.equal(r.status, 414);
  const fhir = await fetch(`${srv.url}/fhir/Observation?${q}`, { headers: { authorization: `Bearer ${me.token}` }, signal: AbortSignal.timeout(15000) });
  assert.equal(fhir.status, 414);
  assert.equal((await fhir.json()).resourceType, 'OperationOutcome');
  assert.equal((await fetch(`${srv.url}/api/v1/health?a=1&b=2`)).status, 200);
});

test('R2.9 a body length given twice, or by both Content-Length and Transfer-Encoding, is refused', async () => {
  const host = new URL(srv.url).host;
  assert.match(await raw(`POST /api/v1/login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}`), / 400 /);
  assert.match(await raw(`POST /api/v1/login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`), / 400 /);
  assert.match(await raw(`GET /api/v1/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), / 200 /);
});

test('R2.9 R4.4 a Host the service does not answer for is refused: links are never made from it', async () => {
  const evil = await raw(`GET /fhir/metadata HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n`);
  assert.match(evil, / 400 /);
  const port = new URL(srv.url).port;
  assert.match(await raw(`GET /fhir/metadata HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`), / 200 /);
  const other = await startServer({ args: ['--allowed-hosts', 'phr.example.jp'] });
  try {
    const r = await answer('GET /fhir/metadata HTTP/1.1\r\nHost: phr.example.jp\r\nConnection: close\r\n\r\n', other);
    assert.match(r.split('\r\n')[0], / 200 /);
    assert.match(r, /"url":"http:\/\/phr.example.jp\/fhir"/);
    assert.match(await answer('GET /fhir/metadata HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n', other), / 400 /);
  } finally {
    await other.stop();
  }
});

test('R2.9 an XML error names a code and a line, and nothing of the document reaches the log', async () => {
  const secret = 'HbA1c 9.8 % 患者 山田太郎';
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">\n<title>${secret}</tle>\n</ClinicalDocument>`;
  const r = await importFile(srv, me, xml, 'application/xml');
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.detail, /not well-formed XML: error \d+ at line 3/);
  await new Promise((resolve) => setTimeout(resolve, 200)); // stderr is read asynchronously
  assert.ok(!srv.logs.some((l) => l.includes('HbA1c') || l.includes('山田')), srv.logs.filter((l) => l.includes('HbA1c')).join('\n'));
});

// From another loopback address: a stranger's failures are theirs only.
const loginFrom = (address, login, password) => new Promise((resolve, reject) => {
  const url = new URL(`${srv.url}/api/v1/login`);
  const body = JSON.stringify({ login, password });
  const q = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: address,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode));
  });
  q.on('error', reject);
  q.end(body);
});

test('R2.4 R2.9 a stranger failing to sign in as a person slows and locks only their own attempts', async () => {
  const victim = await signupAndLogin(srv, uniqueLogin('victim'));
  const codes = [];
  for (let i = 0; i < 7; i++) codes.push(await loginFrom('127.0.0.2', victim.login, 'guessing wrong password'));
  assert.ok(codes.includes(429), `the stranger is slowed: ${codes}`);
  assert.equal(await loginFrom('127.0.0.1', victim.login, PASSWORD), 200, 'the person signs in as ever');
  assert.equal(await loginFrom('127.0.0.2', victim.login, PASSWORD), 429, 'the stranger stays locked out, even with the password');
});
