// Checkup results per year, newest first: each result with the examining
// institution's reference range and its flag, as the report stated them
// (a flag the report left out is read from the range), and each day's
// 健診結果報告書 to download.
import { h } from './dom.js';
import { t } from './i18n.js';
import { day as dayText, dayKey, yearOf } from './time.js';

const FLAGS = { H: 'flag_high', HH: 'flag_high', L: 'flag_low', LL: 'flag_low', A: 'flag_abnormal', AA: 'flag_abnormal', N: 'flag_normal' };

function unitOf(q) {
  return q ? (q.unit || q.code || '') : '';
}

function valueText(o) {
  if (o.valueQuantity) return `${o.valueQuantity.value} ${unitOf(o.valueQuantity)}`.trim();
  if (o.valueCodeableConcept) return o.valueCodeableConcept.coding?.[0]?.display || o.valueCodeableConcept.coding?.[0]?.code;
  return o.valueString ?? '';
}

function rangeText(o) {
  const r = o.referenceRange?.[0];
  if (!r || (!r.low && !r.high)) return '';
  const unit = unitOf(r.high || r.low);
  return `${r.low ? r.low.value : ''}〜${r.high ? r.high.value : ''} ${unit}`.trim();
}

// The report's interpretation code, else H or L from the range.
export function flagOf(o) {
  const code = o.interpretation?.[0]?.coding?.find((c) => /v3-ObservationInterpretation$/.test(c.system || ''))?.code;
  if (code) return code;
  const r = o.referenceRange?.[0], v = o.valueQuantity?.value;
  if (!r || typeof v !== 'number') return '';
  if (r.high && v > r.high.value) return 'H';
  if (r.low && v < r.low.value) return 'L';
  return 'N';
}

function flagCell(code) {
  if (!code) return h('td', {});
  const key = FLAGS[code];
  return h('td', { class: key && key !== 'flag_normal' ? `flag ${key}` : '' }, key ? t(key) : code);
}

// When a result was taken: a hospital's may give a period.
const takenAt = (o) => o.effectiveDateTime || o.effectivePeriod?.start;

export function checkupsByYear(checkups) {
  if (!checkups.length) return h('p', { id: 'checkups' }, t('none'));
  const years = new Map();
  for (const o of checkups) {
    const y = yearOf(takenAt(o));
    if (!years.has(y)) years.set(y, []);
    years.get(y).push(o);
  }
  const days = [...new Set(checkups.map((o) => dayKey(takenAt(o))))];
  return [h('div', { id: 'checkups' }, [...years.keys()].sort().reverse().map((y) => [
    h('h3', {}, `${y}${t('year_suffix')}`),
    h('table', { class: 'checkup-year' },
      h('thead', {}, h('tr', {}, [t('date'), t('item'), t('value'), t('reference_range'), t('flag')].map((c) => h('th', {}, c)))),
      h('tbody', {}, years.get(y).map((o) => h('tr', {}, h('td', {}, dayText(takenAt(o))),
        h('td', {}, o.code.coding[0].display || o.code.coding[0].code), h('td', {}, valueText(o)),
        h('td', {}, rangeText(o)), flagCell(flagOf(o))))))])),
  h('ul', { id: 'checkup-reports' }, days.map((day) =>
    h('li', {}, [
      h('a', { href: `/api/v1/me/export/checkup/${day}.json`, download: `checkup-${day}.json` }, `${t('checkup_report')} ${day}`),
      ' · ',
      h('a', { href: `/api/v1/me/export/checkup/${day}.xml`, download: `checkup-${day}.xml` }, `${t('checkup_cda')} ${day}`)])))];
}
