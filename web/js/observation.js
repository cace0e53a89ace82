// An Observation as a person reads it: its name (the vital-sign codes
// named in the portal's language where the record carries no display) and
// its value with the unit in human form (mmHg, ℃, 歩), not UCUM's codes.
import { lang } from './i18n.js';

const NAMES = {
  '85354-9': ['血圧', 'Blood pressure'], '29463-7': ['体重', 'Body weight'], '8302-2': ['身長', 'Body height'],
  '39156-5': ['BMI', 'BMI'], '8310-5': ['体温', 'Body temperature'], '59408-5': ['SpO2', 'SpO2'],
  '2708-6': ['SpO2（動脈血）', 'SpO2 (arterial)'], '8867-4': ['脈拍', 'Heart rate'], '2339-0': ['血糖', 'Glucose'],
  '41653-7': ['血糖（自己測定）', 'Glucose (meter)'], '15074-8': ['血糖（mmol/L）', 'Glucose (mmol/L)'],
  '55423-8': ['歩数', 'Steps'],
};

// UCUM codes as people write them.
const UNITS = {
  'mm[Hg]': ['mmHg', 'mmHg'], Cel: ['℃', '°C'], '{steps}': ['歩', 'steps'], '/min': ['回/分', '/min'],
  '{beats}/min': ['回/分', '/min'], 'kg/m2': ['kg/m²', 'kg/m²'], '[lb_av]': ['ポンド', 'lb'],
};

export function unitText(q) {
  const u = UNITS[q?.code] || UNITS[q?.unit];
  return u ? (lang === 'en' ? u[1] : u[0]) : (q?.unit || q?.code || '');
}

export function name(o) {
  // The coding the portal has a name for (LOINC's, beside JP Core's or a hospital's own), else the first.
  const c = o.code.coding.find((x) => NAMES[x.code]) || o.code.coding[0];
  const n = NAMES[c.code];
  return n ? (lang === 'en' ? n[1] : n[0]) : (c.display || o.code.text || c.code);
}

export function valueText(o) {
  if (o.valueQuantity) return `${o.valueQuantity.value} ${unitText(o.valueQuantity)}`.trim();
  if (o.component) return `${o.component.map((c) => c.valueQuantity?.value ?? '—').join(' / ')} mmHg`;
  if (o.valueCodeableConcept) return o.valueCodeableConcept.coding?.[0]?.display || o.valueCodeableConcept.coding?.[0]?.code;
  return o.valueString ?? '';
}
