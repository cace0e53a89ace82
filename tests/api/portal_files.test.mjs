// The portal's files as a browser fetches them (issue 21 item 8): gzipped
// for a client that takes gzip, the same bytes once unzipped; an ETag that
// is a digest of the bytes, so a revisit is a 304 with no body; kept and
// revalidated (no-cache), where every API answer stays no-store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { startServer, call, signupAndLogin } from './helpers.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

function get(path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(`${srv.url}${path}`, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('R2.9 portal files: gzipped when taken, revalidated by ETag (304, no body), cached as no-cache; API answers no-store', async () => {
  const file = readFileSync(new URL('../../web/js/records.js', import.meta.url));
  const plain = await get('/js/records.js');
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.deepEqual(plain.body, file);
  assert.match(plain.headers.etag, /^"[0-9a-f]{32}"$/);
  assert.equal(plain.headers['cache-control'], 'no-cache');
  assert.equal(plain.headers.vary, 'Accept-Encoding');

  const zipped = await get('/js/records.js', { 'accept-encoding': 'br, gzip, deflate' });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.deepEqual(gunzipSync(zipped.body), file, 'the same bytes');
  assert.ok(zipped.body.length < file.length / 2, `${zipped.body.length} of ${file.length} bytes`);
  assert.equal(zipped.headers.etag, plain.headers.etag);
  const refused = await get('/js/records.js', { 'accept-encoding': 'gzip;q=0, identity' });
  assert.equal(refused.headers['content-encoding'], undefined);

  const again = await get('/js/records.js', { 'if-none-match': plain.headers.etag, 'accept-encoding': 'gzip' });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const other = await get('/js/app.js', { 'if-none-match': plain.headers.etag });
  assert.equal(other.status, 200, 'another file\'s tag is not this one\'s');

  const me = await signupAndLogin(srv);
  const api = await call(srv, 'GET', '/api/v1/me/consents', { token: me.token });
  assert.equal(api.headers.get('cache-control'), 'no-store', 'health and account data are never kept');
});
