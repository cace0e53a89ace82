// SPHR packages in (R4.2, R4.4): a zip whose index.phr names its files.
// The service's own package goes into another account as the same records,
// read once (the originals it marks are kept, not read again); every file
// named is kept as its own document; a file imported before is left out
// and reported; a hostile or broken zip is refused before anything is read
// from it, and nothing is stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { startServer, call, signupAndLogin, bloodPressure, recordCount, importFile } from './helpers.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const upload = (who, body, type = 'application/zip') => importFile(srv, who, body, type);
const count = (who, type) => recordCount(srv, who, type);
const download = async (who) => Buffer.from(await (await fetch(`${srv.url}/api/v1/me/export/sphr.zip`, { headers: { authorization: `Bearer ${who.token}` } })).arrayBuffer());

// A zip made here, so that the tests can make broken and hostile ones too.
const CRC = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc32 = (b) => { let c = 0xffffffff; for (const x of b) c = CRC[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
function zip(entries) {
  const locals = [], centrals = [];
  let offset = 0;
  for (const { name, data, deflate } of entries) {
    const raw = Buffer.from(data), body = deflate ? deflateRawSync(raw) : raw, n = Buffer.from(name);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0); head.writeUInt16LE(20, 4); head.writeUInt16LE(0x800, 6); head.writeUInt16LE(deflate ? 8 : 0, 8);
    head.writeUInt32LE(crc32(raw), 14); head.writeUInt32LE(body.length, 18); head.writeUInt32LE(raw.length, 22); head.writeUInt16LE(n.length, 26);
    const cen = Buffer.alloc(46);
    cen.writeUInt32LE(0x02014b50, 0); cen.writeUInt16LE(20, 4); cen.writeUInt16LE(20, 6); cen.writeUInt16LE(0x800, 8); cen.writeUInt16LE(deflate ? 8 : 0, 10);
    cen.writeUInt32LE(crc32(raw), 16); cen.writeUInt32LE(body.length, 20); cen.writeUInt32LE(raw.length, 24); cen.writeUInt16LE(n.length, 28); cen.writeUInt32LE(offset, 42);
    locals.push(head, n, body);
    centrals.push(cen, n);
    offset += 30 + n.length + body.length;
  }
  const dir = Buffer.concat(centrals), end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}
const ref = (url, contentType = 'application/octet-stream') => JSON.stringify({ resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { url, contentType } }] });
const index = (...refs) => ({ name: 'index.phr', data: [JSON.stringify({ resourceType: 'Composition', status: 'final' }), ...refs].join('\n') });

test('R4.2 R4.4 the service\'s own SPHR package, imported elsewhere: the same records, each file kept, nothing read twice', async () => {
  const alice = await signupAndLogin(srv);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: bloodPressure(125, 82, '2026-11-04T07:00:00+09:00') })).status, 201);
  assert.equal((await upload(alice, fixture('tokutei-synthetic.xml'), 'application/xml')).status, 201);
  assert.equal((await upload(alice, fixture('jahis/tc-multi-dispensing.txt'), 'text/plain')).status, 201);
  const pkg = await download(alice);
  const bob = await signupAndLogin(srv);
  const r = await upload(bob, pkg);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'sphr');
  const kinds = r.body.files.map((f) => `${f.path.split('/')[0]}:${f.kind}`).sort();
  assert.deepEqual(kinds, ['cda:kept', 'csv:kept', 'fhir:fhir', 'omh:kept', 'originals:kept', 'originals:kept'],
    'the Bundle is read; the copies (CSV, Open mHealth, the CDA written from the checkup, the originals) are kept');
  for (const type of ['Observation', 'MedicationDispense'])
    assert.equal(count(bob, type), count(alice, type), `${type}: the same number, read once`);
  assert.equal(count(bob, 'DocumentReference'), 1 + 6, 'the package and each of its files');
  const theirs = (await call(srv, 'GET', '/fhir/MedicationDispense?_sort=date', { token: bob.token })).body.entry.map((e) => e.resource.medicationCodeableConcept.text);
  assert.deepEqual(theirs, ['ロキソニン錠６０ｍｇ', 'ノルバスク錠２．５ｍｇ']);
  const doc = r.body.files.find((f) => f.path.startsWith('originals/') && f.path.endsWith('.xml')).document;
  const orig = await fetch(`${srv.url}/api/v1/me/documents/${doc}/original`, { headers: { authorization: `Bearer ${bob.token}` } });
  assert.ok(Buffer.from(await orig.arrayBuffer()).equals(fixture('tokutei-synthetic.xml')), 'the CDA kept as it came');
  const again = await upload(bob, pkg);
  assert.equal(again.status, 200);
  assert.equal(again.body.duplicate, true);
});

test('R4.2 a package of files to read: each read; one imported before is left out and reported', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await upload(me, fixture('tokutei-synthetic.xml'), 'application/xml')).status, 201);
  const before = count(me);
  const pkg = zip([
    index(ref('checkup.xml', 'application/xml'), ref('okusuri/a.txt', 'text/plain'), ref('device.csv', 'text/csv')),
    { name: 'checkup.xml', data: fixture('tokutei-synthetic.xml') },
    { name: 'okusuri/a.txt', data: fixture('jahis/tc-minimal-valid.txt'), deflate: true },
    { name: 'device.csv', data: 'effective,weight\n2026/11/01 07:00,61.2\n' },
    { name: 'notes/unindexed.txt', data: 'not named by the index' },
  ]);
  const r = await upload(me, pkg);
  assert.equal(r.status, 201, r.text);
  const byPath = Object.fromEntries(r.body.files.map((f) => [f.path, f]));
  assert.equal(byPath['checkup.xml'].duplicate, true, 'imported before: left out');
  assert.equal(byPath['okusuri/a.txt'].medications, 1);
  assert.equal(byPath['device.csv'].vital_signs, 1);
  assert.equal(r.body.records, 2);
  assert.equal(count(me), before + 1 + 2 + 2, 'the package, two documents and two records');
});

test('R4.2 an SPHR package\'s Open mHealth payload is read into vital signs beside its other files', async () => {
  const me = await signupAndLogin(srv);
  const omh = JSON.stringify([{ header: { schema_id: { namespace: 'omh', name: 'body-weight', version: '2.0' } },
    body: { body_weight: { value: 60.8, unit: 'kg' }, effective_time_frame: { date_time: '2026-11-18T07:00:00+09:00' } } }]);
  const pkg = zip([
    index(ref('apps/weight.json', 'application/json'), ref('device.csv', 'text/csv')),
    { name: 'apps/weight.json', data: omh, deflate: true },
    { name: 'device.csv', data: 'effective,pulse\n2026/11/18 07:05,66\n' },
  ]);
  const r = await upload(me, pkg);
  assert.equal(r.status, 201, r.text);
  const byPath = Object.fromEntries(r.body.files.map((f) => [f.path, f]));
  assert.equal(byPath['apps/weight.json'].kind, 'omh');
  assert.equal(byPath['apps/weight.json'].vital_signs, 1);
  assert.equal(r.body.records, 2);
  assert.equal(count(me, 'Observation'), 2);
});

const hostile = [
  ['a path out of the package', zip([index(ref('../evil.txt')), { name: '../evil.txt', data: 'x' }]), /outside itself/],
  ['an absolute path', zip([index(ref('a.csv')), { name: 'a.csv', data: 'effective,weight\n2026/11/01 07:00,61\n' }, { name: '/etc/passwd', data: 'x' }]), /outside itself/],
  ['a zip bomb', zip([index(ref('big.csv')), { name: 'big.csv', data: Buffer.alloc(2 * 1024 * 1024, 0x30), deflate: true }]), /expands more than 100 times/],
  ['an entry larger than a file may be', zip([index(ref('big.csv')), { name: 'big.csv', data: Buffer.alloc(4 * 1024 * 1024 + 1, 0x30) }]), /larger than/],
  ['too many files', zip([index(ref('a0')), ...Array.from({ length: 1001 }, (_, i) => ({ name: `a${i}`, data: 'x' }))]), /at most 1000 files/],
  ['no index', zip([{ name: 'a.csv', data: 'effective,weight\n2026/11/01 07:00,61\n' }]), /no index\.phr/],
  ['an index naming a missing file', zip([index(ref('gone.xml'))]), /does not hold/],
  ['a file that does not read', zip([index(ref('bad.txt')), { name: 'bad.txt', data: 'JAHISTC08,1\n1,山田 太郎,1,19800101\n5,20260230,1\n' }]), /file bad\.txt: line 3, record 5/],
  ['a package in a package', zip([index(ref('inner.zip')), { name: 'inner.zip', data: zip([index()]) }]), /package inside a package/],
  ['bytes that are not a zip', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100, 1)]), /not a readable zip/],
];
for (const [what, body, why] of hostile) {
  test(`R2.9 R4.2 refused: ${what}; nothing is stored`, async () => {
    const me = await signupAndLogin(srv);
    const r = await upload(me, body);
    assert.ok([413, 422].includes(r.status), r.text);
    assert.match(r.body.detail, why);
    assert.equal(count(me), 0);
  });
}
