// The person's details (基本情報): name, sex, birth date, address, phone and
// the insurance card's numbers, as the newest checkup or お薬手帳 file gave
// them or as the person corrected them (R3.12). Saving replaces the whole
// of them; what they said before stays listed below, with when it was
// replaced. They go into the documents the person exports.
import { h, message, view } from './dom.js';
import { api } from './api.js';
import { t, lang } from './i18n.js';
import { day, dateTime } from './time.js';

const PATH = '/api/v1/me/demographics';
// Each field: its member, its input's attributes.
const FIELDS = [
  ['name', { autocomplete: 'name', maxlength: 64 }],
  ['name_kana', { maxlength: 64 }],
  ['sex', null],
  ['birth_date', { type: 'date', autocomplete: 'bday' }],
  ['postal_code', { autocomplete: 'postal-code', inputmode: 'numeric', maxlength: 8}],
  ['address', { autocomplete: 'street-address', maxlength: 200 }],
  ['phone', { type: 'tel', autocomplete: 'tel', maxlength: 24 }],
  ['insurer_number', { inputmode: 'numeric', maxlength: 8}],
  ['insured_symbol', { maxlength: 32 }],
  ['insured_number', { maxlength: 32 }],
  ['insured_branch', { maxlength: 5 }],
];

function input(key, attrs, value) {
  const id = `details-${key}`;
  if (!attrs) {
    return h('select', { id, name: key }, ['', 'female', 'male'].map((v) => h('option', { value: v, selected: v === (value || '') }, v ? t(v) : t('details_unknown'))));
  }
  return h('input', { id, name: key, value: value || '', ...attrs });
}

// Where they came from, in words.
function origin(d) {
  return `${t(`details_from_${d.from || 'unknown'}`)} (${day(d.as_of)})`;
}

function earlierList(list) {
  if (!list.length) return [];
  return [h('h2', {}, t('details_earlier')), h('p', {}, t('details_earlier_explain')),
    h('table', { id: 'details-earlier' },
      h('thead', {}, h('tr', {}, [t('details_replaced'), t('details_origin'), t('details_what')].map((c) => h('th', {}, c)))),
      h('tbody', {}, list.map((e) => h('tr', {}, h('td', {}, dateTime(e.replaced_at)), h('td', {}, origin(e)),
        h('td', {}, FIELDS.filter(([k]) => e[k]).map(([k]) => `${t(`details_${k}`)}: ${k === 'sex' ? t(e[k]) : k === 'birth_date' ? day(e[k]) : e[k]}`).join(' / '))))))];
}

export async function details(notice) {
  const draw = view();
  const state = await api('GET', PATH);
  const d = state.demographics || {};
  const out = h('p', { id: 'details-message' });
  if (notice) message(out, notice, true);
  const inputs = Object.fromEntries(FIELDS.map(([k, attrs]) => [k, input(k, attrs, d[k])]));
  const form = h('form', {
    id: 'details-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      for (const el of Object.values(inputs)) el.removeAttribute('aria-invalid');
      const body = Object.fromEntries(FIELDS.map(([k]) => [k, inputs[k].value.trim()]).filter(([, v]) => v));
      try {
        await api('PUT', PATH, body);
        await details(t('details_saved'));
      } catch (e) {
        const bad = inputs[e.field];
        const label = t(`details_${e.field}`);
        message(out, !bad ? e.message : lang === 'en' ? `${e.message} (${label})` : `${e.message}（${label}）`);
        if (bad) {
          bad.setAttribute('aria-invalid', 'true');
          bad.focus();
        }
      }
    },
  }, FIELDS.map(([k]) => [h('label', { for: `details-${k}` }, t(`details_${k}`)), inputs[k]]),
  h('p', {}, h('button', { type: 'submit', id: 'details-save' }, t('save'))));
  draw(h('h1', {}, t('details')), h('p', {}, t('details_explain')),
    h('p', { id: 'details-origin' }, state.demographics ? `${t('details_origin')}: ${origin(d)}` : t('details_none')),
    out, form, earlierList(state.earlier));
}
