// The outside organisations (recipients, processors, partners), their
// groups and agreements: read by the staff who answer for them, changed by
// the information-asset manager (each change in the handling history).
import { h, message, refusal } from './dom.js';
import { api } from './api.js';
import { t } from './i18n.js';
import { day } from './time.js';

const PATH = '/api/v1/staff/recipients';

function input(id, label, attrs = {}) {
  const el = h(attrs.tag || 'input', { id, ...attrs, tag: null });
  return { el, nodes: [h('label', { for: id }, label), el] };
}

function table(list) {
  return h('table', { id: 'organisations' },
    h('thead', {}, h('tr', {}, [t('org_name'), t('org_kind'), t('country'), t('groups'), t('agreement'), t('certification')]
      .map((c) => h('th', {}, c)))),
    h('tbody', {}, list.map((o) => h('tr', {}, h('td', {}, o.name), h('td', {}, t(`org_kind_${o.kind}`)), h('td', {}, o.country),
      h('td', {}, (o.groups || []).join(', ')),
      h('td', {}, o.agreement ? `${o.agreement.version} (${day(o.agreement.signed_on)})${o.agreement.ended ? ` ${t('ended')}` : ''}` : t('none_yet')),
      h('td', {}, o.agreement?.certification ? `${o.agreement.certification}${o.agreement.cert_expires ? ` 〜${day(o.agreement.cert_expires)}` : ''}` : '')))));
}

// The forms that change them; refresh() redraws the table after each.
function forms(list, refresh, out) {
  const send = async (body, done) => {
    try {
      const r = await api('POST', PATH, body);
      message(out, t('org_done'), true);
      await refresh();
      if (done) done(r);
    } catch (e) {
      refusal(out, e);
    }
  };
  const choose = (id) => input(id, t('org_organisation'), { tag: 'select' });
  // Redrawn after each change, keeping the organisation chosen.
  const fill = (sel) => {
    const chosen = sel.value;
    sel.replaceChildren(...list().map((o) => h('option', { value: o.id }, o.name)));
    if (list().some((o) => o.id === chosen)) sel.value = chosen;
  };

  const name = input('org-name', t('org_name'), { autocomplete: 'off' });
  const kind = input('org-kind', t('org_kind'), { tag: 'select' });
  kind.el.append(...['recipient', 'processor', 'partner'].map((k) => h('option', { value: k }, t(`org_kind_${k}`))));
  const address = input('org-address', t('org_address'));
  const country = input('org-country', t('org_country'), { maxlength: 2, value: 'JP' });
  const contact = input('org-contact', t('org_contact'));
  const secret = h('div', { id: 'org-secret' });
  const add = h('form', {
    id: 'org-add', novalidate: true,
    onsubmit: (ev) => {
      ev.preventDefault();
      send({ action: 'add', kind: kind.el.value, name: name.el.value.trim(), address: address.el.value.trim(),
        country: country.el.value.trim().toUpperCase(), contact: contact.el.value.trim() }, (r) => {
        // The next step is usually its agreement.
        who.el.value = r.id;
        member.el.value = r.id;
        secret.replaceChildren(r.client_secret ? h('div', { class: 'warning', role: 'status' }, h('p', {}, t('org_secret')),
          h('ul', {}, h('li', {}, `client_id: ${r.client_id}`), h('li', {}, `client_secret: ${r.client_secret}`))) : '');
      });
    },
  }, name.nodes, kind.nodes, address.nodes, country.nodes, contact.nodes,
  h('p', {}, h('button', { type: 'submit', id: 'org-add-submit' }, t('org_add'))));

  const who = choose('agreement-org');
  const signed = input('agreement-signed', t('org_signed'), { type: 'date' });
  const version = input('agreement-version', t('org_version'));
  const cert = input('agreement-cert', t('certification'), { placeholder: 'ISMS / Pマーク' });
  const expires = input('agreement-expires', t('org_cert_expires'), { type: 'date' });
  const ended = h('input', { type: 'checkbox', id: 'agreement-ended' });
  const agreement = h('form', {
    id: 'org-agreement', novalidate: true,
    onsubmit: (ev) => {
      ev.preventDefault();
      send({ action: 'agreement', recipient: who.el.value, signed: signed.el.value, version: version.el.value.trim(),
        ...(cert.el.value.trim() ? { certification: cert.el.value.trim() } : {}),
        ...(expires.el.value ? { cert_expires: expires.el.value } : {}), ended: ended.checked });
    },
  }, who.nodes, signed.nodes, version.nodes, cert.nodes, expires.nodes,
  h('div', { class: 'purpose' }, ended, h('label', { for: 'agreement-ended' }, t('org_ended'))),
  h('p', {}, h('button', { type: 'submit', id: 'org-agreement-submit' }, t('org_agreement'))));

  const code = input('group-code', t('org_group_code'), { pattern: '[a-z0-9\\-]+' });
  const gname = input('group-name', t('org_name'));
  const group = h('form', {
    id: 'org-group', novalidate: true,
    onsubmit: (ev) => {
      ev.preventDefault();
      send({ action: 'group', group: code.el.value.trim(), name: gname.el.value.trim() });
    },
  }, code.nodes, gname.nodes, h('p', {}, h('button', { type: 'submit', id: 'org-group-submit' }, t('org_group'))));

  const member = choose('member-org');
  const mgroup = input('member-group', t('org_group_code'));
  const change = (action) => send({ action, group: mgroup.el.value.trim(), recipient: member.el.value });
  const membership = h('form', { id: 'org-membership', onsubmit: (ev) => { ev.preventDefault(); change('join'); } },
    member.nodes, mgroup.nodes,
    h('p', {}, h('button', { type: 'submit', id: 'member-join' }, t('org_join')),
      h('button', { type: 'button', class: 'secondary', id: 'member-leave', onclick: () => change('leave') }, t('org_leave'))));

  const refill = () => { fill(who.el); fill(member.el); };
  refill();
  return {
    refill,
    nodes: [h('h3', {}, t('org_add')), add, secret, h('h3', {}, t('org_agreement')), agreement,
      h('h3', {}, t('org_group')), group, h('h3', {}, t('org_membership')), membership],
  };
}

// The section of the staff page; manage: the forms too.
export async function organisations(manage) {
  let list = await api('GET', PATH);
  const shown = h('div', {}, table(list));
  const out = h('p', { id: 'org-message' });
  let f = null;
  const refresh = async () => {
    list = await api('GET', PATH);
    shown.replaceChildren(table(list));
    f?.refill();
  };
  if (manage) f = forms(() => list, refresh, out);
  return [h('h2', {}, t('organisations')), h('p', { class: 'muted' }, t('organisations_explain')), shown, out,
    f ? f.nodes : []];
}
