// Home (latest vitals, the blood-pressure chart with its table, checkup
// results, medication) and recording a measurement, checked before it is
// sent.
import { h, message, view } from './dom.js';
import { api } from './api.js';
import { t, lang, pick } from './i18n.js';
import { bpChart, lineChart } from './chart.js';
import { checkupsByYear } from './checkups.js';
import { dateTime, day, dayKey, inputValue, fromInput, inZone } from './time.js';
import { name, valueText } from './observation.js';
import { summaryCards, onboarding, weeklyBp } from './dashboard.js';

const LOINC = 'http://loinc.org';

function when(o) {
  return dateTime(o.effectiveDateTime || o.effectivePeriod?.start || '');
}

// Every page of a search, following its next links: a chart of a year is
// a year, however many readings it holds.
async function everyPage(path) {
  const all = [];
  for (let url = path; url;) {
    const b = await api('GET', url);
    all.push(...(b.entry || []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource));
    const next = b.link?.find((l) => l.relation === 'next')?.url;
    url = next ? new URL(next).pathname + new URL(next).search : null;
  }
  return all;
}

// The ranges the charts can show, in days (0: everything held).
const RANGES = [7, 30, 90, 365, 0];

// One value per measurement of a kind, oldest first, for a chart and its table.
function series(obs, code, unit) {
  return obs.filter((o) => o.code.coding.some((c) => c.code === code) && o.valueQuantity && (!unit || o.valueQuantity.code === unit))
    .map((o) => ({ t: Date.parse(o.effectiveDateTime), when: when(o), v: o.valueQuantity.value })).reverse();
}

// The same values as a table, folded under the chart it belongs to.
function asTable(table) {
  return h('details', { class: 'as-table' }, h('summary', {}, t('as_table')), table);
}

// A chart with the same values as a table beside it; nothing if there are none.
function valueChart(points, title, id, unit) {
  if (!points.length) return [];
  const values = points.map((p) => p.v), lo = Math.min(...values), hi = Math.max(...values), pad = Math.max(1, (hi - lo) * 0.1);
  return [h('h2', {}, title), lineChart(points, [['v', 'dia']], title, lo - pad, hi + pad),
    asTable(h('table', { id },
      h('caption', { class: 'visually-hidden' }, title),
      h('thead', {}, h('tr', {}, h('th', {}, t('date')), h('th', {}, `${t('value')} (${unit})`))),
      h('tbody', {}, points.map((p) => h('tr', {}, h('td', {}, p.when), h('td', {}, p.v))))))];
}

export async function home() {
  const draw = view();
  const days = Number(sessionStorage.getItem('range') ?? 30);
  const from = days ? dayKey(Date.now() - days * 86400000) : null;
  const since = from ? `&date=ge${from}` : '';
  // What a chart needs of each reading, every reading of the period.
  const vitalsAsked = everyPage(`/fhir/Observation?category=vital-signs&_sort=-date&_count=500${since}` +
    '&_elements=code,effective,value,component');
  const [obs, labs, dispensedB, consent, otcB, prescribedB, allergyB] = await Promise.all([vitalsAsked,
    api('GET', '/fhir/Observation?category=laboratory&_sort=-date&_count=100'),
    api('GET', '/fhir/MedicationDispense?_sort=-date&_count=100'), api('GET', '/api/v1/me/consents'),
    api('GET', '/fhir/MedicationStatement?_sort=-date&_count=100'), api('GET', '/fhir/MedicationRequest?_sort=-date&_count=100'),
    api('GET', '/fhir/AllergyIntolerance?_sort=-date&_count=100')]);
  // A reading with one part not measured (dataAbsentReason) is listed, not charted.
  const bp = obs.filter((o) => o.code.coding.some((c) => c.code === '85354-9'))
    .map((o) => ({ t: Date.parse(o.effectiveDateTime), when: when(o), sys: part(o, '8480-6'), dia: part(o, '8462-4') }))
    .filter((p) => p.sys !== undefined && p.dia !== undefined).reverse();
  const weights = series(obs, '29463-7', 'kg').map((p) => ({ ...p, w: p.v }));
  const glucose = [...series(obs, '41653-7', 'mg/dL'), ...series(obs, '2339-0', 'mg/dL')].sort((a, b) => a.t - b.t);
  const steps = series(obs, '55423-8');
  const range = h('select', { id: 'range', onchange: (ev) => { sessionStorage.setItem('range', ev.target.value); home(); } },
    RANGES.map((d) => h('option', { value: d, selected: d === days }, d ? `${t('last')} ${d} ${t('days')}` : t('all'))));
  const checkups = (labs.entry || []).map((e) => e.resource);
  const dispensed = (dispensedB.entry || []).map((e) => e.resource);
  // A purpose changed materially since the person consented: nothing is used
  // for it until they consent again, so say so where they land.
  const changed = consent.purposes.filter((pp) => pp.notice === 'changed-material' && pp.decision === 'grant');
  // Use stopped by the person: said where they land, with the way back.
  const withdrawn = consent.purposes.some((pp) => pp.required && pp.decision !== 'grant');
  const stopped = consent.suspended_all || withdrawn;
  const otc = (otcB.entry || []).map((e) => e.resource);
  const prescribed = (prescribedB.entry || []).map((e) => e.resource);
  const allergies = (allergyB.entry || []).map((e) => e.resource);
  // Nothing kept at all (not just nothing in the period): the ways to begin.
  const nothingYet = !obs.length && !checkups.length && !dispensed.length && !otc.length && !prescribed.length &&
    !allergies.length &&
    (!since || (await api('GET', '/fhir/Observation?_summary=count')).total === 0);
  const supply = (d) => (d.daysSupply ? `${d.daysSupply.value}${d.daysSupply.unit}` : d.quantity ? `${d.quantity.value}${d.quantity.unit || ''}` : '');
  draw(
    h('h1', {}, t('home')),
    stopped ? h('div', { class: 'warning', role: 'alert', id: 'use-stopped' },
      h('p', {}, consent.suspended_all ? t('banner_suspended') : t('banner_withdrawn')),
      h('p', {}, h('a', { href: '#/consents' }, t('banner_way_back')))) : [],
    changed.length ? h('div', { class: 'warning', role: 'alert', id: 'reconsent' },
      h('p', {}, `${t('reconsent')}: ${changed.map((pp) => pick(pp.title)).join('、')}`),
      h('p', {}, h('a', { href: '#/consents' }, t('reconsent_go')))) : [],
    nothingYet ? onboarding() : summaryCards({ bp, weights, steps, checkups }),
    obs.length ? [h('h2', {}, t('latest')), h('table', { id: 'latest' },
      h('thead', {}, h('tr', {}, h('th', {}, t('date')), h('th', {}, t('item')), h('th', {}, t('value')), h('th', {}, h('span', { class: 'visually-hidden' }, t('correct'))))),
      h('tbody', {}, obs.slice(0, 8).map((o) => h('tr', {}, h('td', {}, when(o)),
        h('td', {}, name(o)), h('td', {}, valueText(o)),
        h('td', {}, kindOf(o) ? h('a', { href: `#/record/${o.id}`, class: 'correct' }, t('correct')) : '')))))] : [],
    nothingYet ? [] : [h('p', {}, h('label', { for: 'range' }, `${t('range')} `), range),
      h('p', { id: 'shown', class: 'muted' }, obs.length
        ? (lang === 'en' ? `${t('shown')}: ${obs.length} (${day(obs[obs.length - 1].effectiveDateTime)} – ${day(obs[0].effectiveDateTime)})`
          : `${t('shown')}: ${obs.length}件（${day(obs[obs.length - 1].effectiveDateTime)}〜${day(obs[0].effectiveDateTime)}）`)
        : t('none_in_range'))],
    bp.length ? [h('h2', {}, t('chart_bp')), bpChart(bp, t('chart_bp')), weeklyBp(bp),
      asTable(h('table', { id: 'bp-table' },
        h('caption', { class: 'visually-hidden' }, t('chart_bp')),
        h('thead', {}, h('tr', {}, h('th', {}, t('date')), h('th', {}, t('systolic')), h('th', {}, t('diastolic')))),
        h('tbody', {}, bp.map((p) => h('tr', {}, h('td', {}, p.when), h('td', {}, p.sys), h('td', {}, p.dia))))))] : [],
    weights.length ? [h('h2', {}, t('chart_weight')), lineChart(weights, [['w', 'dia']], t('chart_weight'), weights[0].w - 2, weights[0].w + 2),
      asTable(h('table', { id: 'weight-table' },
        h('caption', { class: 'visually-hidden' }, t('chart_weight')),
        h('thead', {}, h('tr', {}, h('th', {}, t('date')), h('th', {}, `${t('weight')} (kg)`))),
        h('tbody', {}, weights.map((p) => h('tr', {}, h('td', {}, p.when), h('td', {}, p.w))))))] : [],
    valueChart(glucose, t('chart_glucose'), 'glucose-table', 'mg/dL'),
    valueChart(steps, t('chart_steps'), 'steps-table', t('steps_unit')),
    h('h2', {}, t('checkups')),
    checkups.length ? checkupsByYear(checkups) : [],
    h('p', {}, h('a', { href: '#/checkup-entry', id: 'checkup-entry-link' }, t('enter_checkup'))),
    dispensed.length || otc.length || prescribed.length || allergies.length ? h('h2', {}, t('medication')) : [],
    // What a pharmacist must know before anything else, as an お薬手帳 shows it first.
    allergies.length ? [h('h3', {}, t('allergies')), h('ul', { id: 'allergies' }, allergies.map((a) => h('li', {},
      `${a.code?.text || a.code?.coding?.[0]?.display || ''} ・ ${t(a.type === 'intolerance' ? 'side_effect' : 'allergy')}`)))]
      : [],
    prescribed.length ? [h('h3', {}, t('prescribed')), h('ul', { id: 'prescribed' }, prescribed.map((m) => h('li', {},
      `${m.authoredOn ? `${day(m.authoredOn)} ` : ''}${medicineName(m)}${m.dosageInstruction?.[0]?.text ? ` ・ ${m.dosageInstruction[0].text}` : ''}`)))]
      : [],
    dispensed.length ? h('div', { id: 'medication' }, dispensings(dispensed).map((g) => h('div', { class: 'card dispensing' },
      h('h3', {}, `${day(g.when)}${g.pharmacy ? ` ・ ${g.pharmacy}` : ''}`),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, t('medicine')), h('th', {}, t('usage')), h('th', {}, t('supply')))),
        h('tbody', {}, g.items.map((d) => h('tr', {}, h('td', {}, medicineName(d)),
          h('td', {}, d.dosageInstruction?.[0]?.text || ''), h('td', {}, supply(d))))))))) : [],
    otc.length ? [h('h3', {}, t('otc')), h('ul', { id: 'otc' }, otc.map((s) => h('li', {},
      `${medicineName(s)}${s.effectivePeriod ? ` (${day(s.effectivePeriod.start)}〜${day(s.effectivePeriod.end)})` : ''}`)))]
      : [],
  );
}

// Medicines as they were handed over: one group per day and pharmacy, as
// an お薬手帳 shows a dispensing; newest first.
function dispensings(dispensed) {
  const groups = new Map();
  for (const d of dispensed) {
    const pharmacy = d.performer?.[0]?.actor?.display || '';
    const key = `${d.whenHandedOver}|${pharmacy}`;
    if (!groups.has(key)) groups.set(key, { when: d.whenHandedOver, pharmacy, items: [] });
    groups.get(key).items.push(d);
  }
  return [...groups.values()];
}

// A blood pressure part's value, whichever of its codings is LOINC's;
// undefined when it was not measured.
function part(o, code) {
  return o.component?.find((c) => c.code.coding.some((x) => x.code === code))?.valueQuantity?.value;
}

// The medicine a record names, however it names it: a coded concept, or a
// Medication it contains (a compound or an injection names its ingredients).
function medicineName(r) {
  const contained = r.medicationReference?.reference?.startsWith('#')
    ? r.contained?.find((c) => c.resourceType === 'Medication' && c.id === r.medicationReference.reference.slice(1)) : null;
  const concept = r.medicationCodeableConcept || contained?.code;
  const ingredients = (contained?.ingredient || []).map((i) => i.itemCodeableConcept?.text || i.itemCodeableConcept?.coding?.[0]?.display);
  return concept?.text || concept?.coding?.[0]?.display || r.medicationReference?.display || ingredients.filter(Boolean).join('・') || '';
}

// The limits the server also enforces, checked here first so that a typo
// is caught before anything is sent.
const KINDS = {
  bp: { code: '85354-9' },
  weight: { code: '29463-7', unit: 'kg', label: 'kg', min: 0.2, max: 500, step: '0.1' },
  temperature: { code: '8310-5', unit: 'Cel', label: '℃', min: 25, max: 45, step: '0.1' },
  pulse: { code: '8867-4', unit: '/min', label: '/min', min: 20, max: 300, step: '1' },
  glucose: { code: '41653-7', unit: 'mg/dL', label: 'mg/dL', min: 10, max: 1500, step: '1' },
  spo2: { code: '59408-5', unit: '%', label: '%', min: 40, max: 100, step: '1' },
  steps: { code: '55423-8', unit: '{steps}', label: '', min: 0, max: 300000, step: '1' },
};

// The kind of form a record is corrected with, if the portal has one.
function kindOf(o) {
  const code = o.code?.coding?.[0]?.code;
  return Object.keys(KINDS).find((k) => KINDS[k].code === code && (k === 'bp' || o.valueQuantity?.code === KINDS[k].unit)) || null;
}

// Recording a measurement, or (id) correcting one: the corrected version
// replaces it and the earlier one stays in its history.
export async function record(id) {
  const draw = view();
  const old = id ? await api('GET', `/fhir/Observation/${encodeURIComponent(id)}`) : null;
  const kind = h('select', { id: 'record-kind', disabled: Boolean(old) },
    Object.keys(KINDS).map((k) => h('option', { value: k }, t(k))));
  const sys = h('input', { id: 'record-sys', type: 'number', inputmode: 'numeric', min: 40, max: 300 });
  const dia = h('input', { id: 'record-dia', type: 'number', inputmode: 'numeric', min: 20, max: 200 });
  const bpFields = h('div', {}, h('label', { for: 'record-sys' }, `${t('systolic')} (mmHg)`), sys,
    h('label', { for: 'record-dia' }, `${t('diastolic')} (mmHg)`), dia);
  // One field per single-value kind, shown when that kind is chosen.
  const inputs = {}, fields = {};
  for (const [k, d] of Object.entries(KINDS)) {
    if (k === 'bp') continue;
    inputs[k] = h('input', { id: `record-${k}`, type: 'number', inputmode: 'decimal', step: d.step, min: d.min, max: d.max });
    fields[k] = h('div', { hidden: true }, h('label', { for: `record-${k}` }, `${t(k)}${d.label ? ` (${d.label})` : ''}`), inputs[k]);
  }
  const showKind = () => {
    bpFields.hidden = kind.value !== 'bp';
    for (const k of Object.keys(fields)) fields[k].hidden = kind.value !== k;
  };
  kind.addEventListener('change', showKind);
  if (old) {
    kind.value = kindOf(old);
    if (old.component) [sys.value, dia.value] = ['8480-6', '8462-4'].map((c) => part(old, c) ?? '');
    else inputs[kind.value].value = old.valueQuantity.value;
    showKind();
  }
  const out = h('p', { id: 'record-message' });
  // When it was measured: as shown, in the person's zone. Left as it was
  // first shown, it means the moment the person saves (a visit may record
  // several values, each at its own time).
  const shownAt = old ? inputValue(old.effectiveDateTime) : inputValue(Date.now());
  const at = h('input', { id: 'record-when', type: 'datetime-local', value: shownAt, max: inputValue(Date.now() + 86400000),
    'aria-describedby': 'record-when-hint' });
  const submit = async (ev) => {
    ev.preventDefault();
    const measured = old || at.value !== shownAt ? fromInput(at.value) : inZone();
    if (!measured) return message(out, t('when_needed'));
    if (Date.parse(measured) > Date.now() + 5 * 60000) return message(out, t('when_future'));
    const now = old && at.value === shownAt ? old.effectiveDateTime : measured;
    let body;
    if (kind.value === 'bp') {
      const s = Number(sys.value), d = Number(dia.value);
      if (!(s >= 40 && s <= 300 && d >= 20 && d <= 200 && s > d)) return message(out, `${t('bp')}: 40–300 / 20–200 mmHg`);
      body = {
        resourceType: 'Observation', status: 'final', effectiveDateTime: now,
        code: { coding: [{ system: LOINC, code: KINDS.bp.code }] },
        component: [[s, '8480-6'], [d, '8462-4']].map(([v, c]) => ({
          code: { coding: [{ system: LOINC, code: c }] },
          valueQuantity: { value: v, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        })),
      };
    } else {
      const k = KINDS[kind.value], raw = inputs[kind.value].value, v = Number(raw);
      if (raw === '' || !(v >= k.min && v <= k.max)) return message(out, `${t(kind.value)}: ${k.min}–${k.max} ${k.label}`);
      body = {
        resourceType: 'Observation', status: 'final', effectiveDateTime: now,
        code: { coding: [{ system: LOINC, code: k.code }] },
        valueQuantity: { value: v, unit: k.unit, system: 'http://unitsofmeasure.org', code: k.unit },
      };
    }
    try {
      if (old) await api('PUT', `/fhir/Observation/${old.id}`, { ...body, id: old.id }, { 'if-match': `W/"${old.meta.versionId}"` });
      else await api('POST', '/fhir/Observation', body);
      message(out, t('saved'), true);
    } catch (e) {
      message(out, e.message);
    }
  };
  draw(h('h1', {}, old ? `${t('correct')}: ${name(old)} (${when(old)})` : t('record')),
    old ? h('p', { class: 'muted' }, t('correct_explain')) : [],
    h('form', { id: 'record-form', onsubmit: submit, novalidate: true },
      h('label', { for: 'record-kind' }, t('kind')), kind, bpFields, Object.values(fields),
      h('label', { for: 'record-when' }, t('measured_at')), at,
      h('p', { id: 'record-when-hint', class: 'muted' }, old ? t('measured_at_old') : t('measured_at_hint')),
      h('p', {}, h('button', { type: 'submit', id: 'record-submit' }, t('save'))), out));
}
