// A checkup result entered from a paper report (R4.3: data typed in from
// paper): an item of MHLW's 特定健診 table, its value in the table's unit,
// the day, and the report's reference range if it gives one. It goes in as
// a FHIR Observation through the import, checked there as any checkup
// result is, so it comes out in the 健診結果報告書 and the CDA like the rest.
// Items with a coded result (CD/CO) need that item's code list and are not
// offered here.
import { api } from './api.js';
import { h, view, message } from './dom.js';
import { t } from './i18n.js';

const ITEMS = 'urn:oid:1.2.392.200119.6.1005';
const UCUM = 'http://unitsofmeasure.org';

export async function checkupEntry() {
  const draw = view();
  const items = (await api('GET', '/api/v1/checkup-items')).filter((i) => i.type === 'PQ' || i.type === 'ST');
  const label = (i) => `${i.name}${i.unit ? ` (${i.unit})` : ''} — ${i.code}`;
  const byLabel = new Map(items.map((i) => [label(i), i]));
  const date = h('input', { id: 'checkup-date', type: 'date', required: true });
  const item = h('input', { id: 'checkup-item', list: 'checkup-items', autocomplete: 'off', required: true });
  const list = h('datalist', { id: 'checkup-items' }, items.map((i) => h('option', { value: label(i) })));
  const value = h('input', { id: 'checkup-value', required: true });
  const low = h('input', { id: 'checkup-low', type: 'number', step: 'any', inputmode: 'decimal' });
  const high = h('input', { id: 'checkup-high', type: 'number', step: 'any', inputmode: 'decimal' });
  const unit = h('span', { id: 'checkup-unit' });
  const range = h('div', { hidden: true }, h('label', { for: 'checkup-low' }, t('range_low')), low,
    h('label', { for: 'checkup-high' }, t('range_high')), high);
  const chosen = () => byLabel.get(item.value);
  const out = h('p', { id: 'checkup-message' });
  item.addEventListener('input', () => {
    const i = chosen();
    out.replaceChildren();
    const pq = i?.type === 'PQ';
    value.type = pq ? 'number' : 'text';
    value.step = pq ? 'any' : '';
    unit.textContent = i?.unit || '';
    range.hidden = !pq;
  });
  const quantity = (v, u) => ({ value: v, ...(u ? { unit: u, system: UCUM, code: u } : {}) });
  const submit = async (ev) => {
    ev.preventDefault();
    const i = chosen();
    if (!date.value) return message(out, t('checkup_need_date'));
    if (!i) return message(out, t('checkup_need_item'));
    if (value.value.trim() === '') return message(out, t('checkup_need_value'));
    const body = {
      resourceType: 'Observation', status: 'final', effectiveDateTime: date.value,
      category: [{ coding: [{ system: 'http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS', code: i.category }] }],
      code: { coding: [{ system: ITEMS, code: i.code, display: i.name }] },
    };
    if (i.type === 'PQ') {
      const v = Number(value.value);
      if (!Number.isFinite(v)) return message(out, t('checkup_need_value'));
      body.valueQuantity = quantity(v, i.unit);
      if (low.value !== '' || high.value !== '') {
        body.referenceRange = [{
          ...(low.value !== '' ? { low: quantity(Number(low.value), i.unit) } : {}),
          ...(high.value !== '' ? { high: quantity(Number(high.value), i.unit) } : {}),
        }];
      }
    } else {
      body.valueString = value.value.trim();
    }
    try {
      await api('POST', '/api/v1/imports?source=medical-institution', JSON.stringify(body), { 'content-type': 'application/fhir+json' });
      message(out, t('saved'), true);
      value.value = low.value = high.value = '';
    } catch (e) {
      message(out, e.message);
    }
  };
  draw(h('h1', {}, t('checkup_entry')),
    h('p', { class: 'muted' }, t('checkup_entry_explain')),
    h('form', { id: 'checkup-form', onsubmit: submit, novalidate: true },
      h('label', { for: 'checkup-date' }, t('checkup_day')), date,
      h('label', { for: 'checkup-item' }, t('item')), item, list,
      h('label', { for: 'checkup-value' }, t('value')), h('span', {}, value, ' ', unit),
      range,
      h('p', {}, h('button', { type: 'submit', id: 'checkup-submit' }, t('save'))), out),
    h('p', {}, h('a', { href: '#/home' }, t('home'))));
}
