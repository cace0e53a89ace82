// The information-asset manager's page for what is promised to persons:
// the policy texts and the purposes of use. It edits a draft of what is in
// force, shows what publishing it would change (the server's dry run), and
// publishes exactly what was shown. A changed purpose is marked material
// (everyone decides again; nothing is used for it until then) or minor
// (consent carries over; persons are told); the server refuses an
// unmarked change and this page shows its reason.
import { h, message, view, refusal } from './dom.js';
import { api } from './api.js';
import { t } from './i18n.js';
import { manifestFrom } from './manifest.js';

const PUBLISH = '/api/v1/staff/policies';

function field(id, label, input) {
  input.id = id;
  return [h('label', { for: id }, label), input];
}

// An input bound to obj[key] (or obj[key][sub]): every edit goes straight
// into the draft and calls changed().
function bound(tag, attrs, obj, key, changed) {
  const el = h(tag, attrs);
  el.value = obj[key] ?? '';
  el.addEventListener('input', () => { obj[key] = el.value; changed(); });
  return el;
}

function documentEditor(draft, changed) {
  const label = (d) => `${t(d.kind)} (${d.lang})`;
  const order = ['terms', 'summary', 'privacy', 'anonymised'];
  const rank = (d) => order.indexOf(d.kind) * 2 + (d.lang === 'ja' ? 0 : 1);
  draft.documents.sort((a, b) => rank(a) - rank(b));
  const pick = h('select', {}, draft.documents.map((d, i) => h('option', { value: i }, label(d))));
  const area = h('div', {});
  const draw = () => {
    const d = draft.documents[Number(pick.value)];
    area.replaceChildren(...[
      field('policy-doc-title', t('policy_title'), bound('input', { class: 'wide' }, d, 'title', changed)),
      field('policy-doc-effective', t('effective'), bound('input', { type: 'date' }, d, 'effective', changed)),
      field('policy-doc-body', t('policy_text'), bound('textarea', { rows: 14 }, d, 'body', changed))].flat());
  };
  pick.addEventListener('change', draw);
  draw();
  return [h('h2', {}, t('policy_documents')), h('p', { class: 'muted' }, t('policy_documents_explain')),
    field('policy-doc', t('policy_document'), pick), area];
}

function purposeEditor(draft, changed) {
  const pick = h('select', {});
  const area = h('div', {});
  const options = () => pick.replaceChildren(...draft.purposes.map((p, i) =>
    h('option', { value: i }, `${p.code || t('policy_new_purpose')}${p.retired ? ` ${t('policy_retired')}` : ''}`)));
  const draw = () => {
    const p = draft.purposes[Number(pick.value)];
    p.title ??= {};
    p.description ??= {};
    const isNew = !p.published;
    const code = bound('input', { pattern: '[a-z0-9\\-]+', readonly: !isNew }, p, 'code', () => { changed(); options(); pick.value = String(draft.purposes.indexOf(p)); });
    const required = h('input', { type: 'checkbox', checked: p.required });
    required.addEventListener('change', () => { p.required = required.checked; changed(); });
    const retired = h('input', { type: 'checkbox', checked: !!p.retired });
    retired.addEventListener('change', () => { if (retired.checked) p.retired = true; else delete p.retired; changed(); options(); pick.value = String(draft.purposes.indexOf(p)); });
    const kinds = h('input', { placeholder: 'vital-signs' });
    kinds.value = (p.kinds || []).join(',');
    kinds.addEventListener('input', () => {
      const list = kinds.value.split(',').map((s) => s.trim()).filter(Boolean);
      if (list.length) p.kinds = list; else delete p.kinds;
      changed();
    });
    const group = h('input', {});
    group.value = p.recipient_group ?? '';
    group.addEventListener('input', () => { if (group.value.trim()) p.recipient_group = group.value.trim(); else delete p.recipient_group; changed(); });
    const radio = (value) => {
      const r = h('input', { type: 'radio', name: 'policy-change', id: `policy-change-${value}`, value, checked: p.change === value });
      r.addEventListener('change', () => { p.change = value; changed(); });
      return h('div', { class: 'purpose' }, r, h('label', { for: `policy-change-${value}` }, t(`policy_mark_${value}`)));
    };
    area.replaceChildren(...[
      field('policy-purpose-code', t('policy_code'), code),
      field('policy-purpose-title-ja', `${t('policy_title')}（日本語）`, bound('input', { class: 'wide' }, p.title, 'ja', changed)),
      field('policy-purpose-title-en', `${t('policy_title')} (English)`, bound('input', { class: 'wide' }, p.title, 'en', changed)),
      field('policy-purpose-description-ja', `${t('policy_description')}（日本語）`, bound('textarea', { rows: 4 }, p.description, 'ja', changed)),
      field('policy-purpose-description-en', `${t('policy_description')} (English)`, bound('textarea', { rows: 4 }, p.description, 'en', changed)),
      h('div', { class: 'purpose' }, required, h('label', { for: 'policy-purpose-required' }, t('required'))),
      field('policy-purpose-group', t('policy_group'), group),
      field('policy-purpose-kinds', t('policy_kinds'), kinds),
      isNew ? null : h('fieldset', {}, h('legend', {}, t('policy_change')), radio('material'), radio('minor')),
      isNew ? null : h('div', { class: 'purpose' }, retired, h('label', { for: 'policy-purpose-retired' }, t('policy_retire')))]
      .flat().filter(Boolean));
    required.id = 'policy-purpose-required';
    retired.id = 'policy-purpose-retired';
  };
  pick.addEventListener('change', draw);
  const add = h('button', {
    type: 'button', class: 'secondary', id: 'policy-purpose-add',
    onclick: () => {
      draft.purposes.push({ code: '', required: false, title: { ja: '' }, description: { ja: '' } });
      options();
      pick.value = String(draft.purposes.length - 1);
      changed();
      draw();
    },
  }, t('policy_add_purpose'));
  options();
  draw();
  return [h('h2', {}, t('purposes')), h('p', { class: 'muted' }, t('policy_purposes_explain')),
    field('policy-purpose', t('policy_purpose'), pick), add, area];
}

// What the dry run said would change, in words.
function changeList(changes) {
  if (!changes.length) return h('p', { id: 'policy-changes' }, t('policy_nothing'));
  return h('ul', { id: 'policy-changes' }, changes.map((c) => h('li', {},
    `${c.document ? t(c.document) : `${t('purposes')}: ${c.purpose}`} — ${t('version')} ${c.version}: ${t(`policy_change_${c.change.replace('-', '_')}`)}`)));
}

// The draft without the page's own bookkeeping, and without empty texts.
function manifest(draft) {
  const clean = (pair) => Object.fromEntries(Object.entries(pair).filter(([, v]) => v.trim() !== ''));
  return {
    documents: draft.documents,
    purposes: draft.purposes.map(({ published, ...p }) => ({ ...p, title: clean(p.title), description: clean(p.description) })),
  };
}

export async function policyAdmin() {
  const draw = view();
  const draft = manifestFrom(await api('GET', '/api/v1/policies'));
  for (const p of draft.purposes) p.published = true;
  const out = h('p', { id: 'policy-message' });
  const preview = h('div', { id: 'policy-preview', 'aria-live': 'polite' });
  const publish = h('button', { type: 'button', id: 'policy-publish', disabled: true }, t('policy_publish'));
  // Publishing is offered only for the draft the dry run just showed.
  const changed = () => {
    publish.disabled = true;
    preview.replaceChildren();
  };
  const check = h('button', {
    type: 'button', class: 'secondary', id: 'policy-check',
    onclick: async () => {
      changed();
      try {
        const r = await api('POST', `${PUBLISH}?dry_run=true`, manifest(draft));
        preview.replaceChildren(h('h3', {}, t('policy_preview')), changeList(r.changes));
        publish.disabled = r.changes.length === 0;
        out.replaceChildren();
        out.className = '';
      } catch (e) {
        refusal(out, e);
      }
    },
  }, t('policy_check'));
  publish.addEventListener('click', async () => {
    try {
      const r = await api('POST', PUBLISH, manifest(draft));
      await policyAdmin();
      const shown = document.getElementById('policy-message');
      if (shown) message(shown, `${t('policy_published')} (${r.changes.length})`, true);
    } catch (e) {
      refusal(out, e);
    }
  });
  draw(h('h1', {}, t('policy_admin')), h('p', {}, h('a', { href: '#/staff' }, t('staff'))),
    h('p', { class: 'muted' }, t('policy_admin_explain')),
    documentEditor(draft, changed), purposeEditor(draft, changed),
    h('h2', {}, t('policy_publish')), h('p', {}, check, publish), out, preview);
}
