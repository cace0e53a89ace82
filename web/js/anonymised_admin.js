// The page for anonymised data sets (匿名加工情報, APPI Art.43;
// docs/anonymisation.md). The information-asset manager writes a spec in a
// form and makes a data set (its items are published at once, so the page
// asks first), reads its processing method, takes its table out to hand
// over, and records its provision to a recipient with an agreement in
// force, getting the delivery note. The security officer reads the data
// sets and their methods. The server decides all of it; refusals are shown
// with their reason.
import { h, message, view, refusal, confirmAct } from './dom.js';
import { api } from './api.js';
import { t, pick, lang } from './i18n.js';
import { loadPolicies } from './public.js';
import { day, dateTime } from './time.js';

const BASE = '/api/v1/staff/anonymised';
const QIS = ['age', 'sex', 'prefecture', 'postal_area', 'checkup_year'];
const setPath = (name) => `${BASE}/${encodeURIComponent(name)}`;

function field(id, label, input, hint) {
  input.id = id;
  return [h('label', { for: id }, label), input, hint ? h('p', { class: 'muted', id: `${id}-hint` }, hint) : []];
}

// The vital signs a data set can hold: the mean of the person's
// measurements in the window before each checkup.
const VITALS = [['body-weight', '体重', 'Body weight'], ['body-height', '身長', 'Body height'], ['bmi', 'BMI', 'BMI'],
  ['body-temperature', '体温', 'Body temperature'], ['oxygen-saturation', '血中酸素飽和度', 'Oxygen saturation'],
  ['heart-rate', '心拍数・脈拍', 'Heart rate'], ['blood-glucose', '血糖値', 'Blood glucose'], ['steps', '歩数', 'Steps'],
  ['systolic', '収縮期血圧', 'Systolic blood pressure'], ['diastolic', '拡張期血圧', 'Diastolic blood pressure']];

// The items to hold: a quantity of the 特定健診 table or a vital sign
// picked by name or code, each with optional bounds beyond which a value
// becomes the bound; a medication class (薬効分類) typed in. Each knows
// the spec's member it becomes. changed(): after an item is added or removed.
function itemPicker(checkupItems, changed) {
  // A result from a code list is its code: no bounds (flag).
  const all = [...checkupItems.map((i) => ({ code: i.code, name: i.name, unit: i.unit, spec: { code: i.code }, flag: i.type !== 'PQ' })),
    ...VITALS.map(([kind, ja, en]) => ({ code: `vital:${kind}`, name: `${lang === 'en' ? en : ja} ${t('anon_vital_mean')}`,
      spec: { vital: kind } }))];
  const label = (i) => `${i.name}${i.unit ? ` (${i.unit})` : ''} — ${i.code}`;
  const byLabel = new Map(all.map((i) => [label(i), i]));
  const chosen = [];
  const input = h('input', { id: 'anon-item', list: 'anon-items', autocomplete: 'off', class: 'wide' });
  const body = h('tbody', {});
  const out = h('p', { id: 'anon-item-message' });
  const row = (c, n) => {
    const bound = (key) => {
      const el = h('input', { type: 'number', step: 'any', inputmode: 'decimal', class: 'narrow', 'aria-label': `${c.item.name} ${t(`anon_${key}`)}` });
      el.value = c[key] ?? '';
      el.addEventListener('input', () => { c[key] = el.value; });
      return el;
    };
    return h('tr', {}, h('td', {}, `${c.item.name} `, h('code', {}, c.item.code)),
      h('td', {}, c.item.flag ? '—' : bound('bottom')), h('td', {}, c.item.flag ? '—' : bound('top')),
      h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => { chosen.splice(n, 1); draw(); } },
        `${t('anon_remove')}: ${c.item.name}`)));
  };
  function draw() {
    body.replaceChildren(...chosen.map(row));
    changed();
  }
  const choose = (item) => {
    if (!chosen.some((c) => c.item.code === item.code)) chosen.push({ item });
    out.replaceChildren();
    out.removeAttribute('class');
    draw();
  };
  const add = () => {
    const item = byLabel.get(input.value);
    if (!item) return message(out, t('anon_pick_item'));
    input.value = '';
    return choose(item);
  };
  const drug = h('input', { id: 'anon-medication', inputmode: 'numeric', pattern: '[0-9]{3,4}', maxlength: 4, class: 'narrow' });
  const addDrug = () => {
    const cls = drug.value.trim();
    if (!/^[0-9]{3,4}$/.test(cls)) return message(out, t('anon_pick_class'));
    drug.value = '';
    return choose({ code: `medication:${cls}`, name: `${t('anon_drug_class')} ${cls}`, spec: { medication: cls }, flag: true });
  };
  const nodes = [h('h3', {}, t('anon_items')), h('p', { class: 'muted' }, t('anon_items_explain')),
    h('label', { for: 'anon-item' }, t('item')), input, h('datalist', { id: 'anon-items' }, all.map((i) => h('option', { value: label(i) }))),
    h('p', {}, h('button', { type: 'button', id: 'anon-item-add', class: 'secondary', onclick: add }, t('anon_add_item'))),
    h('label', { for: 'anon-medication' }, t('anon_drug_class_label')), drug,
    h('p', { class: 'muted' }, t('anon_drug_class_hint')),
    h('p', {}, h('button', { type: 'button', id: 'anon-medication-add', class: 'secondary', onclick: addDrug }, t('anon_add_class'))), out,
    h('table', { id: 'anon-chosen' }, h('thead', {}, h('tr', {}, [t('item'), t('anon_bottom'), t('anon_top')].map((c) => h('th', {}, c)),
      h('th', {}, h('span', { class: 'visually-hidden' }, t('staff_actions'))))), body)];
  const items = () => chosen.map((c) => ({ ...c.item.spec,
    ...(c.bottom !== undefined && c.bottom !== '' ? { bottom: Number(c.bottom) } : {}),
    ...(c.top !== undefined && c.top !== '' ? { top: Number(c.top) } : {}) }));
  return { nodes, items, chosen: () => chosen.map((c) => c.item) };
}

function makeForm(items, purposes, made) {
  const name = h('input', { pattern: '[A-Za-z0-9_\\-]+', maxlength: 63, autocomplete: 'off' });
  const purpose = h('select', {}, h('option', { value: '' }, t('anon_any_purpose')),
    purposes.map((p) => h('option', { value: p.code }, `${pick(p.title)} (${p.code})`)));
  const from = h('input', { type: 'date' }), to = h('input', { type: 'date' });
  const qis = QIS.map((q) => h('input', { type: 'checkbox', id: `anon-qi-${q}`, value: q, checked: q === 'age' || q === 'sex' || q === 'prefecture' }));
  const k = h('input', { type: 'number', min: 2, step: 1, value: 5, inputmode: 'numeric' });
  const windowDays = h('input', { type: 'number', min: 1, max: 3660, step: 1, value: 90, inputmode: 'numeric' });
  const suppression = h('input', { type: 'number', min: 0, max: 100, step: 'any', value: 5, inputmode: 'decimal' });
  const metric = h('select', {}, ['entropy', 'discernibility'].map((m) => h('option', { value: m }, t(`anon_metric_${m}`))));
  // l-diversity: one of the items chosen as the sensitive one, and l.
  const sensitive = h('select', {}, h('option', { value: '' }, t('anon_no_sensitive')));
  const l = h('input', { type: 'number', min: 2, step: 1, value: 2, inputmode: 'numeric' });
  const picker = itemPicker(items, () => {
    const was = sensitive.value;
    sensitive.replaceChildren(h('option', { value: '' }, t('anon_no_sensitive')),
      ...picker.chosen().map((i) => h('option', { value: i.code, selected: i.code === was }, i.name)));
  });
  const out = h('p', { id: 'anon-message' });
  const result = h('div', { id: 'anon-result' });
  const submit = async (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    const spec = { name: name.value.trim(), ...(purpose.value ? { purpose: purpose.value } : {}),
      period: { from: from.value, to: to.value }, items: picker.items(),
      quasi_identifiers: qis.filter((q) => q.checked).map((q) => q.value),
      k: Number(k.value), suppression: Number(suppression.value) / 100, metric: metric.value,
      ...(picker.items().some((i) => !i.code) ? { window_days: Number(windowDays.value) } : {}),
      ...(sensitive.value ? { sensitive: sensitive.value, l: Number(l.value) } : {}) };
    if (!await confirmAct({ title: `${t('anon_confirm_title')}: ${spec.name}`, act: t('anon_make'), cancel: t('confirm_cancel'),
      consequences: [t('anon_confirm_1'), t('anon_confirm_2'), t('anon_confirm_3')] })) return;
    try {
      const m = await api('POST', BASE, spec);
      message(out, `${t('anon_made_ok')}: ${m.name}`, true);
      result.replaceChildren(manifestList(m));
      await made();
    } catch (e) {
      refusal(out, e);
    }
  };
  return [h('h2', {}, t('anon_new')), h('p', { class: 'muted' }, t('anon_new_explain')),
    h('form', { id: 'anon-make', onsubmit: submit, novalidate: true },
      field('anon-name', t('anon_name'), name, t('anon_name_hint')),
      field('anon-purpose', t('anon_purpose'), purpose, t('anon_purpose_hint')),
      field('anon-from', t('anon_from'), from), field('anon-to', t('anon_to'), to),
      picker.nodes,
      field('anon-window', t('anon_window'), windowDays, t('anon_window_hint')),
      h('fieldset', {}, h('legend', {}, t('anon_qis')),
        qis.map((q) => h('div', { class: 'purpose' }, q, h('label', { for: q.id }, t(`qi_${q.value}`))))),
      field('anon-k', t('anon_k'), k, t('anon_k_hint')),
      field('anon-sensitive', t('anon_sensitive'), sensitive, t('anon_sensitive_hint')),
      field('anon-l', t('anon_l'), l),
      field('anon-suppression', t('anon_suppression'), suppression),
      field('anon-metric', t('anon_metric'), metric),
      h('p', {}, h('button', { type: 'submit', id: 'anon-make-submit' }, t('anon_make')))), out, result];
}

// What a data set came to: the manifest as the server wrote it.
function manifestList(m) {
  const left = m.left_out || {};
  const rows = [
    [t('anon_rows'), `${m.rows}（${t('anon_suppressed')} ${m.suppressed}）`],
    [t('anon_persons'), m.persons],
    [t('anon_left_out'), ['suspended', 'not_for_purpose', 'no_demographics', 'no_checkup']
      .map((x) => `${t(`anon_left_${x}`)} ${left[x] ?? 0}`).join(t('list_sep'))],
    [t('anon_levels'), Object.entries(m.quasi_identifiers || {}).map(([q, l]) => `${t(`qi_${q}`)} ${t('anon_level')} ${l}`).join(t('list_sep'))],
    [t('anon_k'), m.k],
    m.sensitive ? [t('anon_l'), `${m.l}（${t('anon_sensitive')} ${m.sensitive}）`] : null,
    [t('anon_suppression'), `${(m.suppression_limit * 100).toFixed(1)}%`],
    [t('anon_metric'), `${t(`anon_metric_${m.metric}`)} ${m.information_loss}`],
    ['SHA-256', h('code', { class: 'hash' }, m.sha256)],
  ];
  return h('dl', { class: 'manifest' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// The delivery note to hand over with the table (Art.43(5)).
function deliveryNote(n, recipient) {
  return h('div', { class: 'warning', role: 'status', id: 'anon-note' },
    h('p', {}, h('strong', {}, t('anon_note'))),
    h('p', {}, pick(n.statement)),
    h('ul', {}, h('li', {}, `${t('anon_name')}: ${n.name}`), h('li', {}, `${t('anon_recipient')}: ${recipient} (${n.recipient})`),
      h('li', {}, `${t('anon_method')}: ${n.method}`), h('li', {}, `${t('anon_provided_at')}: ${dateTime(n.provided_at)}`),
      h('li', {}, 'SHA-256: ', h('code', { class: 'hash' }, n.sha256))));
}

// provided(note, recipient's name): after the provision is recorded, with its delivery note.
function provideForm(set, recipients, provided) {
  const id = `anon-provide-${set.name}`;
  const who = h('select', { id: `${id}-recipient` }, recipients.map((r) => h('option', { value: r.id }, r.name)));
  const how = h('input', { id: `${id}-method`, class: 'wide', maxlength: 200 });
  const out = h('p', { id: `${id}-message` });
  const submit = async (ev) => {
    ev.preventDefault();
    const name = who.selectedOptions[0]?.textContent || '';
    if (!await confirmAct({ title: `${t('anon_provide_title')}: ${set.name} → ${name}`, act: t('anon_provide'), cancel: t('confirm_cancel'),
      consequences: [t('anon_provide_1'), t('anon_provide_2'), t('anon_provide_3')] })) return;
    try {
      await provided(await api('POST', `${setPath(set.name)}/provisions`, { recipient: who.value, method: how.value.trim() }), name);
    } catch (e) {
      refusal(out, e);
    }
  };
  return h('form', { id, class: 'provide', onsubmit: submit, novalidate: true },
    h('label', { for: who.id }, t('anon_recipient')), who,
    h('label', { for: how.id }, t('anon_method')), how,
    h('p', { class: 'muted' }, t('anon_method_hint')),
    h('p', {}, h('button', { type: 'submit', id: `${id}-submit` }, t('anon_provide'))), out);
}

function setCard(set, manage, recipients, provided) {
  const detail = h('div', { id: `anon-method-${set.name}` });
  const method = async () => {
    try {
      const m = await api('GET', setPath(set.name));
      detail.replaceChildren(h('h4', {}, t('anon_method_of')), manifestList(m.manifest));
    } catch (e) {
      const p = h('p', {});
      refusal(p, e);
      detail.replaceChildren(p);
    }
  };
  return h('li', { class: 'card', 'data-set': set.name },
    h('h3', {}, set.name),
    h('p', {}, `${t('anon_made')} ${day(set.made_at)} ・ ${t('anon_rows')} ${set.rows} ・ k = ${set.k}`),
    h('p', {}, `${t('anon_items')}: ${set.items.map((i) => i.name).join(t('list_sep'))}`),
    h('p', {}, `${t('anon_provided')}: `, set.provided.length
      ? set.provided.map((x) => `${day(x.at)} ${x.method}`).join(t('list_sep')) : t('anon_not_provided')),
    h('p', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', id: `anon-method-${set.name}-open`, onclick: method }, t('anon_method_read')),
      manage ? h('a', { href: `${setPath(set.name)}/table`, download: `${set.name}.csv`, id: `anon-table-${set.name}` }, t('anon_table')) : []),
    detail,
    manage ? provideForm(set, recipients, provided) : []);
}

// role: the signed-in staff member's; the manager makes and provides.
export async function anonymisedAdmin(role) {
  const draw = view();
  const manage = role === 'asset-manager';
  const [{ data_sets: first }, items, policies, orgs] = await Promise.all([api('GET', '/api/v1/anonymised'),
    manage ? api('GET', '/api/v1/checkup-items') : [], manage ? loadPolicies() : { purposes: [] },
    manage ? api('GET', '/api/v1/staff/recipients') : []]);
  // Only a recipient with an agreement not ended can be provided to; the server checks again.
  const recipients = orgs.filter((o) => o.kind === 'recipient' && o.agreement && !o.agreement.ended);
  const list = h('ul', { id: 'anon-sets', class: 'plain' });
  // Above the list, which is drawn again with the provision published.
  const note = h('div', { id: 'anon-note-area' });
  const provided = async (n, recipient) => {
    note.replaceChildren(deliveryNote(n, recipient));
    await refresh();
  };
  const fill = (sets) => list.replaceChildren(...(sets.length ? sets.map((s) => setCard(s, manage, recipients, provided))
    : [h('li', {}, t('anon_none'))]));
  async function refresh() {
    fill((await api('GET', '/api/v1/anonymised')).data_sets);
  }
  fill(first);
  draw(h('h1', {}, t('anon_admin')), h('p', { class: 'muted' }, t('anon_admin_explain')),
    h('p', {}, h('a', { href: '#/policy/anonymised' }, t('anon_public_link'))),
    h('h2', {}, t('anon_sets')), note, list,
    manage ? makeForm(items.filter((i) => ['PQ', 'CD', 'CO'].includes(i.type)), policies.purposes.filter((p) => !p.retired), refresh) : []);
}
