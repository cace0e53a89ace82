// SPHR packages in (R4.2, R4.4): a zip whose index.phr names its files.
// The service's own package goes into another account as the same records,
// read once (the originals it marks are kept, not read again); every file
// named is kept as its own document; a file imported before is left out
// and reported; a hostile or broken zip is refused before anything is read
// from it, and nothing is stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  assert.ok(r.body.files.every((f) => /^phr_\d{17}\//.test(f.path)), 'every file in the package\'s folder');
  const kinds = r.body.files.map((f) => `${f.path.split('/')[1]}:${f.kind}`).sort();
  assert.deepEqual(kinds, ['cda:kept', 'csv:kept', 'fhir:fhir', 'omh:kept', 'originals:kept', 'originals:kept', 'phrc:kept'],
    'the Bundle is read; the copies (CSV, Open mHealth, the PHRC module\'s files, the CDA written from the checkup, the originals) are kept');
  for (const type of ['Observation', 'MedicationDispense'])
    assert.equal(count(bob, type), count(alice, type), `${type}: the same number, read once`);
  assert.equal(count(bob, 'DocumentReference'), 1 + 7, 'the package and each of its files');
  const theirs = (await call(srv, 'GET', '/fhir/MedicationDispense?_sort=date', { token: bob.token })).body.entry.map((e) => e.resource.medicationCodeableConcept.text);
  assert.deepEqual(theirs, ['ロキソニン錠６０ｍｇ', 'ノルバスク錠２．５ｍｇ']);
  const doc = r.body.files.find((f) => f.path.includes('/originals/') && f.path.endsWith('.xml')).document;
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

// What the PHR Council's general module (SphrLibrary) reads in a package:
// one folder "<service>_<moment>" whose index.phr is the Composition, then
// the DocumentManifest, then a DocumentReference per file (each typed by
// its document-type codes, its attachment.url the file's name within the
// folder); and its Open mHealth files, one per schema and modality.
test('R4.3 R4.4 the package as the PHRC module reads it: its folder, its index in order, the cover page, typed files', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(128, 84, '2026-11-05T07:00:00+09:00') })).status, 201);
  assert.equal((await upload(me, fixture('tokutei-synthetic.xml'), 'application/xml')).status, 201);
  assert.equal((await upload(me, fixture('jahis/tc-multi-dispensing.txt'), 'text/plain')).status, 201);
  const dir = mkdtempSync(join(tmpdir(), 'sphr-')), file = join(dir, 'p.sphr');
  writeFileSync(file, await download(me));
  const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
  const folder = names[0].split('/')[0];
  assert.match(folder, /^phr_20\d{15}$/, 'the provider\'s id and the moment, yyyyMMddHHmmssfff');
  assert.equal(names[0], `${folder}/index.phr`);
  assert.ok(names.every((n) => n.startsWith(`${folder}/`)));
  const lines = execFileSync('unzip', ['-p', file, `${folder}/index.phr`], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.slice(0, 2).map((l) => l.resourceType), ['Composition', 'DocumentManifest'], 'the order the module reads');
  const [cover, manifest, ...refs] = lines;
  assert.ok(refs.length > 0 && refs.every((x) => x.resourceType === 'DocumentReference' && x.status === 'current'));
  // PhrComposition: LOINC 11503-0, final, a title and date, the person and the provider contained.
  assert.deepEqual(cover.type.coding[0], { system: 'http://loinc.org', code: '11503-0', display: 'Medical records' });
  assert.equal(cover.status, 'final');
  assert.match(cover.date, /\+09:00$/, 'the provider\'s clock, with its offset');
  assert.ok(cover.title);
  assert.equal(cover.subject.reference, '#person');
  assert.equal(cover.author[0].reference, '#provider');
  const patient = cover.contained.find((c) => c.resourceType === 'Patient'), org = cover.contained.find((c) => c.resourceType === 'Organization');
  assert.deepEqual(patient.identifier, [{ system: 'http://phr.or.jp/fhir/IdSystem/patient-id', value: me.person_id ?? patient.identifier[0].value }]);
  assert.equal(patient.active, true);
  assert.equal(patient.name[0].text, '健診 花子（架空）', 'the person\'s own package: their name, family and given split by one space');
  assert.equal(patient.gender, 'female');
  assert.equal(org.name, 'PHR service');
  assert.equal(manifest.status, 'current');
  assert.deepEqual(manifest.content.map((c) => c.reference), refs.map((x) => `DocumentReference/${x.id}`));
  const typed = {};
  for (const x of refs) {
    const a = x.content[0].attachment;
    assert.ok(names.includes(`${folder}/${a.url}`), `${a.url}: a file of the folder`);
    const bytes = execFileSync('unzip', ['-p', file, `${folder}/${a.url}`]);
    assert.equal(a.size, bytes.length);
    const c = x.type.coding[0];
    typed[a.url.replace(/_[0-9a-f-]{36}\.json$/, '').replace(/-\d{4}-\d{2}-\d{2}\.xml$/, '')] ??= `${c.system}#${c.code}`;
  }
  assert.equal(typed['phrc/blood-pressure'], 'http://phr.or.jp/fhir/doctype#omh-blood-pressure-4.0');
  assert.equal(typed['cda/checkup'], '1.2.392.200119.6.1001#10');
  assert.equal(refs.filter((x) => x.content[0].attachment.contentType === 'text/plain')[0].type.coding[0].code, 'JAHISTC-08');
  // The module's Open mHealth file: one header, a list of bodies.
  const bpRef = refs.find((x) => x.content[0].attachment.url.startsWith('phrc/blood-pressure_'));
  const bp = JSON.parse(execFileSync('unzip', ['-p', file, `${folder}/${bpRef.content[0].attachment.url}`], { encoding: 'utf8' }));
  assert.deepEqual(bp.header.schema_id, { namespace: 'omh', name: 'blood-pressure', version: '4.0' });
  assert.equal(bp.header.modality, 'self_reported', 'typed in by the person');
  assert.deepEqual(bp.body.map((b) => [b.systolic_blood_pressure.value, b.diastolic_blood_pressure.value, b.effective_time_frame.date_time]),
    [[128, 84, '2026-11-05T07:00:00+09:00']]);
});

test('R4.3 the provider names its packages: its id names the folder, its name is the cover page\'s author; a malformed id stops the service', async () => {
  const own = await startServer({ env: { PHR_PROVIDER_ID: 'kenpo-01', PHR_PROVIDER_NAME: 'サンプル健保 PHR' } });
  try {
    const me = await signupAndLogin(own);
    assert.equal((await call(own, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(119, 77, '2026-11-06T07:00:00+09:00') })).status, 201);
    const res = await fetch(`${own.url}/api/v1/me/export/sphr.zip`, { headers: { authorization: `Bearer ${me.token}` } });
    const dir = mkdtempSync(join(tmpdir(), 'sphr-')), file = join(dir, 'p.sphr');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const first = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).split('\n')[0];
    assert.match(first, /^kenpo-01_\d{17}\/index\.phr$/);
    const cover = JSON.parse(execFileSync('unzip', ['-p', file, first], { encoding: 'utf8' }).split('\n')[0]);
    assert.equal(cover.contained.find((c) => c.resourceType === 'Organization').name, 'サンプル健保 PHR');
    assert.equal(cover.contained.find((c) => c.resourceType === 'Patient').name, undefined, 'no name known: none written');
  } finally {
    await own.stop();
  }
  for (const id of ['a/b', 'ü', 'x'.repeat(33)]) {
    let failed = null;
    await startServer({ env: { PHR_PROVIDER_ID: id } }).then((s) => s.stop(), (e) => { failed = e; });
    assert.ok(failed, `provider id ${JSON.stringify(id)} refused`);
    assert.match(failed.message, /provider id is 1 to 32 letters/);
  }
});

// The index is signed (a detached JWS, EdDSA): anyone verifies it with the
// keys the service publishes — here Node's own crypto (OpenSSL), not ours;
// the service verifies it on import and refuses a package changed after.
const b64u = (b) => Buffer.from(b).toString('base64url');
function entries(pkg) {
  const dir = mkdtempSync(join(tmpdir(), 'sphr-')), file = join(dir, 'p.sphr');
  writeFileSync(file, pkg);
  const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
  return names.map((name) => ({ name, data: execFileSync('unzip', ['-p', file, name]) }));
}

test('R4.3 R4.4 the package\'s index is signed: a detached JWS that the published keys verify, outside this service too', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(122, 79, '2026-11-08T07:00:00+09:00') })).status, 201);
  const files = entries(await download(me));
  const index = files.find((f) => f.name.endsWith('/index.phr')), jws = files.find((f) => f.name.endsWith('/index.phr.jws'));
  assert.ok(jws, 'index.phr.jws beside the index');
  const [h, empty, s] = jws.data.toString().split('.');
  assert.equal(empty, '', 'detached: no payload');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  assert.equal(header.alg, 'EdDSA');
  const keys = await (await fetch(`${srv.url}/.well-known/phr-package-keys`)).json();
  const jwk = keys.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, 'the key that signed it is published');
  assert.deepEqual([jwk.kty, jwk.crv, jwk.alg], ['OKP', 'Ed25519', 'EdDSA']);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const input = Buffer.from(`${h}.${b64u(index.data)}`);
  assert.ok(edVerify(null, input, key, Buffer.from(s, 'base64url')), 'Node verifies it');
  assert.ok(!edVerify(null, Buffer.from(`${h}.${b64u(Buffer.concat([index.data, Buffer.from(' ')]))}`), key, Buffer.from(s, 'base64url')), 'and not another index');
  const r = await upload(await signupAndLogin(srv), await download(me));
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body.signatures.map((x) => [x.index.endsWith('/index.phr'), x.signature, x.kid]), [[true, 'verified', header.kid]]);
});

test('R2.9 R4.2 a package changed after it was made is refused: a file not its index\'s SHA-256, an index not the one signed; nothing stored', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(126, 83, '2026-11-09T07:00:00+09:00') })).status, 201);
  const files = entries(await download(me));
  const csv = files.find((f) => f.name.endsWith('/csv/observations.csv'));
  const edited = files.map((f) => f === csv ? { name: f.name, data: Buffer.from(f.data.toString().replace('126', '162')) } : f);
  const index = files.find((f) => f.name.endsWith('/index.phr'));
  const retitled = files.map((f) => f === index ? { name: f.name, data: Buffer.from(f.data.toString().replace('PHR data', 'PHR DATA')) } : f);
  const reader = await signupAndLogin(srv);
  for (const [pkg, why] of [[edited, /csv\/observations\.csv does not match the SHA-256 its index gives/], [retitled, /index\.phr\.jws: the signature does not verify/]]) {
    const r = await upload(reader, zip(pkg));
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.detail, why);
  }
  assert.equal(count(reader), 0);
  // Unsigned (the signature taken out), it reads: a package need not be signed.
  const unsigned = await upload(reader, zip(files.filter((f) => !f.name.endsWith('.jws'))));
  assert.equal(unsigned.status, 201, unsigned.text);
  assert.equal(unsigned.body.signatures, undefined);
});

test('R4.2 a package signed with a key the service does not know is read and its signature reported unknown', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const kid = 'partner-key-1';
  const csvData = 'effective,weight\n2026/11/01 07:00,61.2\n';
  const idx = index(ref('device.csv', 'text/csv'));
  const h = b64u(JSON.stringify({ alg: 'EdDSA', kid }));
  const sig = edSign(null, Buffer.from(`${h}.${b64u(idx.data)}`), privateKey);
  assert.ok(publicKey);
  const me = await signupAndLogin(srv);
  const r = await upload(me, zip([idx, { name: 'index.phr.jws', data: `${h}..${b64u(sig)}` }, { name: 'device.csv', data: csvData }]));
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body.signatures, [{ index: 'index.phr', signature: 'unknown-key', kid }]);
  const odd = await upload(me, zip([index(ref('d2.csv', 'text/csv')), { name: 'index.phr.jws', data: 'not a jws' }, { name: 'd2.csv', data: csvData.replace('61.2', '61.3') }]));
  assert.equal(odd.status, 422);
  assert.match(odd.body.detail, /index\.phr\.jws: not a detached JWS/);
});

// A package as the PHRC module writes one (SphrHelper: BuildComposition,
// BuildDocumentManifest, BuildDocumentReference; OmhEntityBase's header and
// list of bodies), holding a second service's folder it imported before.
const phrcIndex = (service, files) => [
  { resourceType: 'Composition', author: [{ reference: `Organization/${service}` }], contained: [{ resourceType: 'Organization', id: service, name: `${service} app` }],
    date: '2024-10-01', status: 'final', title: 'ExportPHR20241001', type: { coding: [{ code: '34133-9', display: 'Summary of episode note', system: 'http://loinc.org' }] } },
  { resourceType: 'DocumentManifest', id: '6f1c2d1e-0000-4000-8000-000000000001', content: files.map((f) => ({ reference: f.id })), status: 'current' },
  ...files.map((f) => ({ resourceType: 'DocumentReference', id: f.id, type: { coding: [{ code: f.code, display: f.display, system: 'http://phr.or.jp/fhir/doctype' }] },
    content: [{ attachment: { contentType: 'application/json', url: f.url } }], status: 'current' })),
].map((o) => JSON.stringify(o)).join('\r\n');
const omhFile = (uuid, schema, bodies) => JSON.stringify({ header: { uuid, source_creation_date_time: '2024-10-01T10:22:55+09:00', schema_id: schema, modality: 'sensed' }, body: bodies });

test('R4.2 a package the PHRC module wrote: each folder\'s index, its Open mHealth files with their lists of bodies, IEEE steps', async () => {
  const me = await signupAndLogin(srv);
  const bpId = '0b8f1a52-3c1e-4a8e-9d0f-1a2b3c4d5e6f', paId = '1c9e2b63-4d2f-4b9f-8e1a-2b3c4d5e6f70', bwId = '2daf3c74-5e3a-4cab-9f2b-3c4d5e6f7081';
  const pkg = zip([
    { name: 'svcA_20241001102255300/index.phr', data: phrcIndex('svcA', [
      { id: bpId, code: 'omh-blood-pressure-4.0', display: 'OMH血圧記録', url: `blood-pressure_${bpId}.json` },
      { id: paId, code: 'ieee-physical-activity-1.0', display: 'IEEE歩数記録', url: `physical-activity_${paId}.json` }]) },
    { name: `svcA_20241001102255300/blood-pressure_${bpId}.json`, deflate: true, data: omhFile(bpId, { namespace: 'omh', name: 'blood-pressure', version: '4.0' }, [
      { systolic_blood_pressure: { value: 131, unit: 'mmHg' }, diastolic_blood_pressure: { value: 86, unit: 'mmHg' }, effective_time_frame: { date_time: '2024-09-30T07:10:00+09:00' } },
      { systolic_blood_pressure: { value: 127, unit: 'mmHg' }, diastolic_blood_pressure: { value: 83, unit: 'mmHg' }, effective_time_frame: { date_time: '2024-10-01T07:05:00+09:00' } }]) },
    { name: `svcA_20241001102255300/physical-activity_${paId}.json`, data: omhFile(paId, { namespace: 'ieee', name: 'physical-activity', version: '1.0' }, [
      { activity_name: 'walking', base_movement_quantity: { value: 8012, unit: 'steps' },
        effective_time_frame: { time_interval: { start_date_time: '2024-09-30T00:00:00+09:00', end_date_time: '2024-10-01T00:00:00+09:00' } } }]) },
    { name: 'svcB_20240901080000000/index.phr', data: phrcIndex('svcB', [{ id: bwId, code: 'omh-body-weight-2.0', display: 'OMH体重記録', url: `body-weight_${bwId}.json` }]) },
    { name: `svcB_20240901080000000/body-weight_${bwId}.json`, data: omhFile(bwId, { namespace: 'omh', name: 'body-weight', version: '2.0' }, [
      { body_weight: { value: 63.4, unit: 'kg' }, effective_time_frame: { date_time: '2024-08-31T06:50:00+09:00' } }]) },
  ]);
  const r = await upload(me, pkg);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body.files.map((f) => [f.path, f.kind, f.vital_signs]).sort(), [
    [`svcA_20241001102255300/blood-pressure_${bpId}.json`, 'omh', 2],
    [`svcA_20241001102255300/physical-activity_${paId}.json`, 'omh', 1],
    [`svcB_20240901080000000/body-weight_${bwId}.json`, 'omh', 1],
  ]);
  assert.equal(r.body.records, 4);
  const steps = (await call(srv, 'GET', '/fhir/Observation?code=http://loinc.org|55423-8', { token: me.token })).body.entry;
  assert.equal(steps.length, 1);
  assert.equal(steps[0].resource.valueQuantity.value, 8012);
  assert.equal(steps[0].resource.effectivePeriod.start, '2024-09-30T00:00:00+09:00');
  const bps = (await call(srv, 'GET', '/fhir/Observation?code=http://loinc.org|85354-9&_sort=date', { token: me.token })).body.entry;
  assert.deepEqual(bps.map((e) => e.resource.component.map((c) => c.valueQuantity.value)), [[131, 86], [127, 83]]);
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
  ['a folder\'s index naming a file outside its folder', zip([{ name: 'svc_1/index.phr', data: [JSON.stringify({ resourceType: 'Composition' }), ref('../svc_2/a.csv')].join('\n') },
    { name: 'svc_2/a.csv', data: 'effective,weight\n2026/11/01 07:00,61\n' }]), /relative path/],
  ['more folders than a package may hold', zip(Array.from({ length: 17 }, (_, i) => [{ name: `s${i}/index.phr`, data: index(ref('a.csv')).data }, { name: `s${i}/a.csv`, data: 'effective,weight\n2026/11/01 07:00,61\n' }]).flat()), /at most 16 folders/],
  ['a folder with an index naming nothing', zip([{ name: 'svc_1/index.phr', data: JSON.stringify({ resourceType: 'Composition' }) }]), /names no file/],
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
