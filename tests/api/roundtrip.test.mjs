// Round trip and validity of exports (R4.3, R4.4, R4.2): everything a person
// holds — typed-in vitals, a CDA checkup, an お薬手帳 text, a FHIR file of
// medication, vaccination and vital signs — comes out of Patient/$everything
// as FHIR R4 that @medplum/core validates resource by resource, offline:
// checkup results against the 健診結果報告書 IG's JP_Observation_eCheckupGeneral,
// the rest against JP Core 1.1.2's profile where JP Core has one for it
// (Patient, vital signs, MedicationDispense, Immunization, DocumentReference),
// against the R4 definitions otherwise; and it goes into another account as the
// same records. The SPHR package holds all of it with an index. Checkups
// are also written as 特定健診 CDA, valid against MHLW's hc08 schema.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, bloodPressure } from './helpers.mjs';
import { jp, ig, profileOf, validateResource } from './profiles.mjs';

// Every CDA the service writes is checked with libxml2's own xmllint
// against MHLW's schema as shipped.
const HC08 = new URL('../../schemas/mhlw-tokutei-v08/hc08_V08.xsd', import.meta.url).pathname;
const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const upload = async (who, body, type) => {
  const r = await call(srv, 'POST', '/api/v1/imports', { token: who.token, body, headers: { 'content-type': type } });
  assert.equal(r.status, 201, r.text);
  return r.body;
};
// The export as one file (a collection Bundle, what the portal offers).
const everything = async (who) => {
  const r = await call(srv, 'GET', '/api/v1/me/export/fhir', { token: who.token });
  assert.equal(r.status, 200, r.text);
  return r.body;
};

// What makes two records the same, whoever holds them.
function essence(r) {
  const coding = (cc) => (cc?.coding || []).map((c) => `${c.system}|${c.code}`).sort().join(' ') || cc?.text;
  switch (r.resourceType) {
    case 'Observation':
      return ['Observation', coding(r.code), r.effectiveDateTime, JSON.stringify(r.valueQuantity ?? r.valueCodeableConcept?.coding?.[0]?.code ?? r.valueString ?? r.component?.map((c) => c.valueQuantity.value))];
    case 'MedicationDispense':
      return ['MedicationDispense', coding(r.medicationCodeableConcept), r.whenHandedOver ?? r.whenPrepared, JSON.stringify(r.daysSupply ?? r.quantity ?? null), r.dosageInstruction?.[0]?.text];
    case 'MedicationStatement':
      return ['MedicationStatement', coding(r.medicationCodeableConcept), JSON.stringify(r.effectivePeriod ?? r.effectiveDateTime ?? null)];
    case 'Immunization':
      return ['Immunization', coding(r.vaccineCode), r.occurrenceDateTime];
    default:
      return null;
  }
}
const records = (bundle) => bundle.entry.map((e) => essence(e.resource)).filter(Boolean).map((x) => x.join('\t')).sort();

test('R4.3 R4.2 every exported resource is valid FHIR R4, and importing the export gives the same records', async () => {
  const alice = await signupAndLogin(srv);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: alice.token, body: bloodPressure(128, 84, '2026-11-02T07:30:00+09:00') })).status, 201);
  await upload(alice, fixture('tokutei-synthetic.xml'), 'application/xml');
  await upload(alice, fixture('jahis/tc-output-category-2-full.txt'), 'text/plain');
  await upload(alice, JSON.stringify({
    resourceType: 'Bundle', type: 'collection', entry: [
      'fhir/MedicationDispense-jp-medicationdispense-example-1.json', 'fhir/Immunization-jp-immunization-example-1.json',
      'fhir/Observation-heart-rate.json',
    ].map((f) => ({ resource: JSON.parse(fixture(f)) })),
  }), 'application/fhir+json');

  const out = await everything(alice);
  const types = new Set(out.entry.map((e) => e.resource.resourceType));
  for (const t of ['Patient', 'Observation', 'MedicationDispense', 'MedicationStatement', 'Immunization', 'DocumentReference'])
    assert.ok(types.has(t), `the export holds ${t}`);
  const invalid = [];
  let profiled = 0;
  for (const e of out.entry) {
    const profile = profileOf(e.resource);
    profiled += profile ? 1 : 0;
    try {
      validateResource(e.resource, profile ? { profile } : undefined);
    } catch (err) {
      invalid.push(`${e.resource.resourceType}/${e.resource.id} (${profile?.name ?? 'R4'}): ${err.message}`);
    }
  }
  assert.deepEqual(invalid, [], 'every exported resource validates');
  assert.ok(profiled >= 8, `most resources are checked against a JP Core profile (${profiled})`);
  validateResource(out);
  // Patient/$everything holds the same, page by page, each page a valid searchset.
  const paged = [];
  for (let url = `/fhir/Patient/${alice.personId}/$everything?_count=4`; url;) {
    const page = await call(srv, 'GET', url.replace(srv.url, ''), { token: alice.token });
    assert.equal(page.status, 200, page.text);
    validateResource(page.body);
    paged.push(...page.body.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`));
    url = page.body.link.find((l) => l.relation === 'next')?.url;
  }
  assert.deepEqual(paged.sort(), out.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort());
  // The validator itself refuses what is wrong.
  const dispense = out.entry.find((e) => e.resource.resourceType === 'MedicationDispense').resource;
  assert.throws(() => validateResource({ ...dispense, identifier: undefined }, { profile: jp('JP_MedicationDispense') }), /identifier/);

  const bob = await signupAndLogin(srv);
  const back = await upload(bob, JSON.stringify(out), 'application/fhir+json');
  assert.equal(back.skipped, 1 + 3, 'the Patient and the three files\' documents are context');
  const mine = records(out), theirs = records(await everything(bob));
  assert.equal(theirs.length, mine.length);
  assert.deepEqual(theirs, mine, 'the same records, now bob\'s');
  const again = await everything(bob);
  assert.ok(again.entry.filter((e) => e.resource.resourceType !== 'Patient')
    .every((e) => JSON.stringify(e.resource).includes(bob.personId) && !JSON.stringify(e.resource).includes(alice.personId)),
  'nothing of bob\'s names alice');
});

test('R4.3 R4.4 the SPHR package: an index of everything, the FHIR Bundle, the CSV and every imported file as it came', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(121, 79, '2026-11-03T07:30:00+09:00') })).status, 201);
  const cda = fixture('tokutei-synthetic.xml');
  const okusuri = execFileSync('iconv', ['-f', 'UTF-8', '-t', 'CP932'], { input: fixture('jahis/tc-multi-dispensing.txt') });
  await upload(me, cda, 'application/xml');
  await upload(me, okusuri, 'text/plain');
  const res = await fetch(`${srv.url}/api/v1/me/export/sphr.zip`, { headers: { authorization: `Bearer ${me.token}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/zip');
  assert.match(res.headers.get('content-disposition'), /phr-package\.sphr\.zip/);
  const dir = mkdtempSync(join(tmpdir(), 'sphr-'));
  const zip = join(dir, 'p.zip');
  writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
  // One folder, "<provider>_<moment>", as the PHRC module lays a package out.
  const entries = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n');
  const folder = entries[0].split('/')[0];
  assert.ok(entries.every((f) => f.startsWith(`${folder}/`)));
  const files = entries.map((f) => f.slice(folder.length + 1));
  const unzip = (name, encoding) => execFileSync('unzip', ['-p', zip, `${folder}/${name}`], encoding ? { encoding } : {});
  assert.equal(files[0], 'index.phr');
  assert.ok(files.includes('fhir/everything.json') && files.includes('csv/observations.csv'));
  const index = unzip('index.phr', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(index.slice(0, 2).map((r) => r.resourceType), ['Composition', 'DocumentManifest']);
  const refs = index.slice(2);
  assert.ok(files.includes('index.phr.jws'), 'the index signed');
  assert.equal(refs.length, files.length - 2, 'a DocumentReference for every file but the index and its signature');
  assert.equal(index[1].content.length, refs.length);
  for (const r of [...index]) validateResource(r);
  for (const r of refs) {
    const a = r.content[0].attachment;
    const bytes = unzip(a.url);
    assert.equal(bytes.length, a.size, a.url);
    assert.equal(a.extension[0].valueString, createHash('sha256').update(bytes).digest('hex'), a.url);
  }
  const originals = refs.filter((r) => r.content[0].attachment.url.startsWith('originals/')).map((r) => unzip(r.content[0].attachment.url));
  assert.ok(originals.some((b) => b.equals(cda)), 'the CDA as it came');
  // Each checkup day also as a CDA written from the records, valid against hc08.
  assert.ok(files.includes('cda/checkup-2026-10-15.xml'), files.join(' '));
  const written = join(dir, 'written.xml');
  writeFileSync(written, unzip('cda/checkup-2026-10-15.xml'));
  execFileSync('xmllint', ['--noout', '--nonet', '--schema', HC08, written], { stdio: 'pipe' });
  assert.ok(originals.some((b) => b.equals(okusuri)), 'the お薬手帳 text as it came, Shift_JIS and all');
  const bundle = JSON.parse(unzip('fhir/everything.json', 'utf8'));
  assert.equal(bundle.entry[0].resource.id, me.personId);
  validateResource(bundle);
  assert.match(unzip('csv/observations.csv', 'utf8'), /85354-9,Blood pressure panel,,mm\[Hg\],,,121,79/);
  // The vital signs as Open mHealth data points, which read back as the same measurement.
  const omh = unzip('omh/vital-signs.json', 'utf8');
  const points = JSON.parse(omh);
  assert.deepEqual(points.map((p) => p.header.schema_id), [{ namespace: 'omh', name: 'blood-pressure', version: '3.1' }]);
  assert.deepEqual(points[0].body.systolic_blood_pressure, { value: 121, unit: 'mmHg' });
  const reader = await signupAndLogin(srv);
  const back = await upload(reader, omh, 'application/json');
  assert.equal(back.vital_signs, 1);
  const bp = (await call(srv, 'GET', '/fhir/Observation?code=http://loinc.org|85354-9', { token: reader.token })).body.entry[0].resource;
  assert.deepEqual(bp.component.map((c) => c.valueQuantity.value), [121, 79]);
  assert.equal(bp.effectiveDateTime, '2026-11-03T07:30:00+09:00');
  const other = await signupAndLogin(srv);
  assert.equal((await fetch(`${srv.url}/api/v1/me/export/sphr.zip`, { headers: { authorization: `Bearer ${other.token}` } })).status, 200,
    'each person gets their own');
});

test('R4.3 a checkup as a 健診結果報告書 document Bundle: the Composition first, listing the results; valid; imported elsewhere as the same results', async () => {
  const me = await signupAndLogin(srv);
  await upload(me, fixture('tokutei-synthetic.xml'), 'application/xml');
  const r = await call(srv, 'GET', '/api/v1/me/export/checkup/2026-10-15.json', { token: me.token });
  assert.equal(r.status, 200, r.text);
  const doc = r.body;
  assert.equal(doc.type, 'document');
  const [comp, patient] = doc.entry.map((e) => e.resource);
  const results = doc.entry.map((e) => e.resource).filter((x) => x.resourceType === 'Observation');
  assert.equal(comp.resourceType, 'Composition');
  assert.equal(comp.type.coding[0].code, '53576-5');
  assert.equal(patient.resourceType, 'Patient');
  assert.equal(results.length, 4);
  const urlOf = new Map(doc.entry.map((e) => [e.resource, e.fullUrl]));
  assert.deepEqual(comp.section[0].entry.map((x) => x.reference).sort(), results.map((o) => urlOf.get(o)).sort(),
    'the Composition lists every result');
  assert.ok(results.every((o) => o.subject.reference === doc.entry[1].fullUrl && !o.derivedFrom), 'references resolve inside the document');
  for (const e of doc.entry) validateResource(e.resource);
  validateResource(doc);
  // Against the IG itself: every result conforms to JP_Observation_eCheckupGeneral, the Patient
  // (the name, sex, birth date and address the CDA gave) to JP_Patient_eCS, the Composition to
  // JP_Composition_eCheckupGeneral: its Encounter is the checkup at the examining institution the
  // CDA named (documentationOf/serviceEvent/performer), an entry of the document.
  for (const o of results) validateResource(o, { profile: ig('JP_Observation_eCheckupGeneral') });
  validateResource(comp, { profile: ig('JP_Composition_eCheckupGeneral') });
  const byUrl = new Map(doc.entry.map((e) => [e.fullUrl, e.resource]));
  const encounter = byUrl.get(comp.encounter.reference);
  validateResource(encounter, { profile: ig('JP_Encounter_eCheckupGeneral') });
  assert.deepEqual(encounter.period, { start: '2026-10-15', end: '2026-10-15' });
  assert.deepEqual(comp.event[0].detail, [comp.encounter]);
  const institution = byUrl.get(encounter.serviceProvider.reference);
  assert.equal(institution.resourceType, 'Organization');
  assert.ok(institution.name, 'the institution by its name');
  assert.deepEqual(patient.meta.profile, ['http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Patient_eCS']);
  validateResource(patient, { profile: ig('JP_Patient_eCS') });
  validateResource(patient, { profile: jp('JP_Patient') });
  const other = await signupAndLogin(srv);
  const back = await upload(other, JSON.stringify(doc), 'application/fhir+json');
  assert.equal(back.checkup_results, 4);
  assert.equal(back.checkup_date, '2026-10-15');
  assert.equal((await call(srv, 'GET', '/api/v1/me/export/checkup/2026-10-16.json', { token: me.token })).status, 404, 'no checkup that day');
  assert.equal((await call(srv, 'GET', '/api/v1/me/export/checkup/2026-13-01.json', { token: me.token })).status, 400);
  assert.equal((await call(srv, 'GET', '/api/v1/me/export/checkup/2026-10-15.json', { token: other.token })).status, 200,
    'the other person now has their own');
});

test('R4.2 R4.3 the 健診結果報告書 sample imported and exported again: every result whole as sent, the 問診 answers in their own section', async () => {
  const me = await signupAndLogin(srv);
  const sent = JSON.parse(fixture('eCheckupReport-Sample-01.json'));
  await upload(me, JSON.stringify(sent), 'application/fhir+json');
  const r = await call(srv, 'GET', '/api/v1/me/export/checkup/2020-04-04.json', { token: me.token });
  assert.equal(r.status, 200, r.text);
  const doc = r.body;
  const item = (o) => o.code.coding.find((c) => c.system === 'urn:oid:1.2.392.200119.6.1005').code;
  const byUrl = new Map(sent.entry.map((e) => [e.fullUrl, e.resource]));
  const given = sent.entry.map((e) => e.resource).filter((o) => o.resourceType === 'Observation');
  const got = new Map(doc.entry.map((e) => e.resource).filter((o) => o.resourceType === 'Observation').map((o) => [item(o), o]));
  assert.equal(got.size, given.length);
  // What the service says of a record (id, meta, its person, where it came from) is its own; the rest is the file's.
  const clinical = ({ id, meta, subject, extension, derivedFrom, performer, contained, ...rest }) => rest;
  for (const o of given) {
    const back = got.get(item(o));
    assert.deepEqual(clinical(back), clinical(o), `${item(o)} ${o.code.coding[0].display}`);
    assert.deepEqual(back.meta.profile, o.meta.profile);
    if (o.performer) {
      const who = back.contained.find((c) => `#${c.id}` === back.performer[0].reference);
      const { id, meta, ...person } = who;
      const { id: sentId, meta: sentMeta, ...sentPerson } = byUrl.get(o.performer[0].reference);
      assert.deepEqual(person, sentPerson, 'who performed it, contained whole (its own version left out: dom-4)');
      assert.deepEqual(meta?.profile, sentMeta.profile);
    }
  }
  assert.equal(got.get('9N056000000000011').component[0].valueString, 'ヘルニア、膀胱炎', '具体的な既往歴, free text');
  assert.equal(got.get('9N061000000000011').component[0].valueString, '胃痛', '自覚症状所見');
  const sections = doc.entry[0].resource.section.map((x) => [x.code.coding[0].code, x.entry.length]);
  assert.deepEqual(sections, [['01011', 22], ['01012', 22]], 'as the IG\'s sample: 22 results, 22 問診 answers');
  const sentSections = sent.entry[0].resource.section.map((x) => [x.code.coding[0].code, x.entry.length]);
  assert.deepEqual(sections.map(([c]) => c), sentSections.map(([c]) => c));
  for (const e of doc.entry) validateResource(e.resource);
  for (const o of got.values()) validateResource(o, { profile: ig('JP_Observation_eCheckupGeneral') });
  // The Encounter at the institution the sample's Encounter names, that Organization whole.
  const comp = doc.entry[0].resource;
  validateResource(comp, { profile: ig('JP_Composition_eCheckupGeneral') });
  const inDoc = new Map(doc.entry.map((e) => [e.fullUrl, e.resource]));
  const encounter = inDoc.get(comp.encounter.reference);
  const { id, meta, ...institution } = inDoc.get(encounter.serviceProvider.reference);
  const sentEncounter = sent.entry.map((e) => e.resource).find((x) => x.resourceType === 'Encounter');
  const { id: sentId, meta: sentMeta, ...sentInstitution } = byUrl.get(sentEncounter.serviceProvider.reference);
  assert.deepEqual(institution, sentInstitution, 'the examining institution as the file gave it');
  assert.deepEqual(meta.profile, sentMeta.profile);
  assert.equal(meta.lastUpdated, doc.timestamp, 'its version: the document\'s making');
  validateResource(encounter, { profile: ig('JP_Encounter_eCheckupGeneral') });
  validateResource(inDoc.get(encounter.serviceProvider.reference), { profile: ig('JP_Organization_eCheckupGeneral') });
});

// The results of a day with the institution's ranges and flags, whoever holds them.
// A CDA carries a quantity's value and UCUM code, not the unit text a FHIR
// file showed beside it ("mg/dl"): results are compared by what both carry.
const ucum = (q) => q && { value: q.value, system: q.system, code: q.code };
const checkupOf = async (who) => (await everything(who)).entry.map((e) => e.resource)
  .filter((o) => o.resourceType === 'Observation' && o.code.coding.some((c) => c.system === 'urn:oid:1.2.392.200119.6.1005'))
  .map((o) => ({ ...o, valueQuantity: ucum(o.valueQuantity), referenceRange: o.referenceRange?.map((r) => ({ low: ucum(r.low), high: ucum(r.high) })) }))
  .map((o) => [...essence(o), JSON.stringify(o.referenceRange ?? null), o.interpretation?.[0]?.coding?.[0]?.code].join('\t')).sort();

test('R4.3 a checkup that came as FHIR (no CDA) as a 特定健診 CDA: valid against hc08 (xmllint); imported elsewhere as the same results, ranges and flags', async () => {
  const me = await signupAndLogin(srv);
  await upload(me, fixture('eCheckupReport-Sample-01.json'), 'application/fhir+json');
  const res = await fetch(`${srv.url}/api/v1/me/export/checkup/2020-04-04.xml`, { headers: { authorization: `Bearer ${me.token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/xml/);
  const xml = await res.text();
  const file = join(mkdtempSync(join(tmpdir(), 'cda-')), 'checkup.xml');
  writeFileSync(file, xml);
  execFileSync('xmllint', ['--noout', '--nonet', '--schema', HC08, file], { stdio: 'pipe' });
  // The examining institution the report's Encounter named, as the serviceEvent's performer.
  assert.ok(xml.includes('<performer typeCode="PRF"><assignedEntity><id nullFlavor="NI"/><representedOrganization>' +
    '<id extension="1311234567" root="1.2.392.200119.6.102"/><name>厚生労働省第一病院</name><telecom value="tel:0123-456-7890"/>' +
    '<addr><postalCode>100-0001</postalCode>東京都千代田区千代田９－９－９</addr></representedOrganization></assignedEntity></performer>'), 'the institution');
  assert.match(xml, /<effectiveTime value="20200404"\/>/, 'the checkup day, where a reader looks for it');
  assert.ok(xml.includes(`<id root="${me.personId}"/>`), 'the person by the service\'s id (no insurer numbers are kept)');
  const mine = await checkupOf(me);
  assert.ok(mine.length > 10, 'the sample has many results');
  assert.ok(mine.some((r) => /"high"/.test(r)), 'some with a reference range');
  assert.ok(mine.some((r) => /\t[A-Z]+$/.test(r)), 'some with a flag');
  const other = await signupAndLogin(srv);
  const back = await upload(other, xml, 'application/xml');
  assert.equal(back.kind, 'tokutei-cda');
  assert.equal(back.observations, mine.length);
  assert.equal(back.checkup_date, '2020-04-04');
  assert.deepEqual(await checkupOf(other), mine, 'the same results, typed, with their ranges and flags');

  assert.equal((await call(srv, 'GET', '/api/v1/me/export/checkup/2020-04-05.xml', { token: me.token })).status, 404, 'no checkup that day');
  assert.equal((await call(srv, 'GET', '/api/v1/me/export/checkup/2020-02-30.xml', { token: me.token })).status, 400);
  assert.equal((await call(srv, 'GET', '/api/v1/me/export/checkup/2020-04-04.xls', { token: me.token })).status, 404);
  const stranger = await signupAndLogin(srv);
  assert.equal((await call(srv, 'GET', '/api/v1/me/export/checkup/2020-04-04.xml', { token: stranger.token })).status, 404,
    'another person has no checkup that day: the export is always one\'s own');
});

test('R4.3 R4.2 a result entered from a paper report, as the portal sends it: the item table is public; the result is checked as any checkup result and leaves in the CDA and the 健診結果報告書', async () => {
  const items = await call(srv, 'GET', '/api/v1/checkup-items');
  assert.equal(items.status, 200);
  assert.equal(items.body.length, 322, 'MHLW\'s whole table');
  assert.deepEqual(items.body.find((i) => i.code === '9N001000000000001'), { code: '9N001000000000001', name: '身長', type: 'PQ', unit: 'cm', category: 'body-measurement' });
  const me = await signupAndLogin(srv);
  const paper = (value, unit = 'cm') => JSON.stringify({
    resourceType: 'Observation', status: 'final', effectiveDateTime: '2025-06-01',
    category: [{ coding: [{ system: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS', code: 'body-measurement' }] }],
    code: { coding: [{ system: 'urn:oid:1.2.392.200119.6.1005', code: '9N001000000000001', display: '身長' }] },
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
    referenceRange: [{ low: { value: 140, unit, system: 'http://unitsofmeasure.org', code: unit } }],
  });
  const bad = await call(srv, 'POST', '/api/v1/imports?source=medical-institution', { token: me.token, body: paper(165.4, 'm'), headers: { 'content-type': 'application/fhir+json' } });
  assert.equal(bad.status, 422, 'the item table\'s unit, as for any checkup result');
  assert.match(bad.body.detail, /unit must be 'cm'/);
  const ok = await upload(me, paper(165.4), 'application/fhir+json');
  assert.equal(ok.checkup_results, 1);
  const xml = await (await fetch(`${srv.url}/api/v1/me/export/checkup/2025-06-01.xml`, { headers: { authorization: `Bearer ${me.token}` } })).text();
  assert.match(xml, /<code code="9N001000000000001" codeSystem="1.2.392.200119.6.1005" displayName="身長"\/><value xsi:type="PQ" value="165.4" unit="cm"\/><referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="140" unit="cm"\/>/);
  const file = join(mkdtempSync(join(tmpdir(), 'paper-')), 'paper.xml');
  writeFileSync(file, xml);
  execFileSync('xmllint', ['--noout', '--nonet', '--schema', HC08, file], { stdio: 'pipe' });
  const doc = (await call(srv, 'GET', '/api/v1/me/export/checkup/2025-06-01.json', { token: me.token })).body;
  assert.equal(doc.entry.filter((e) => e.resource.resourceType === 'Observation').length, 1);
});

// The 健診結果報告書 IG files each result under a JP Core category; a CDA
// has none, so each result read from one takes its item's (the item
// table's group, as the IG's sample files them).
test('R4.2 R4.3 results read from a 特定健診 CDA carry their item\'s JP category, and leave with it in the 健診結果報告書', async () => {
  const me = await signupAndLogin(srv);
  assert.equal((await upload(me, readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url)), 'application/xml')).kind, 'tokutei-cda');
  const results = (await call(srv, 'GET', '/fhir/Observation?code=urn:oid:1.2.392.200119.6.1005|&_count=50', { token: me.token })).body.entry.map((e) => e.resource);
  const jpCategory = (o) => o.category.flatMap((c) => c.coding).find((c) => c.system === 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS')?.code;
  const byCode = Object.fromEntries(results.map((o) => [o.code.coding[0].code, jpCategory(o)]));
  assert.deepEqual(byCode, { '1A020000000190111': 'laboratory', '9A751000000000001': 'vital-signs', '9N001000000000001': 'body-measurement',
    '9N006000000000001': 'body-measurement' });
  const doc = (await call(srv, 'GET', '/api/v1/me/export/checkup/2026-10-15.json', { token: me.token })).body;
  const inDoc = doc.entry.map((e) => e.resource).filter((r) => r.resourceType === 'Observation');
  assert.equal(inDoc.length, 4);
  for (const o of inDoc) {
    assert.ok(jpCategory(o), `${o.code.coding[0].code}: a JP category in the document`);
    validateResource(o, { profile: ig('JP_Observation_eCheckupGeneral') });
  }
});
