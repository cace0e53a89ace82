// Staff pages: sign-in with the second factor; a handler opens a person's
// records only under a stated reason (the server refuses otherwise, and
// the page shows its refusal); the security officer and auditors read the
// handling history with filters; the information-asset manager manages the
// staff accounts and outside organisations, and reaches the policy page.
import { h, show, message, view, confirmAct } from './dom.js';
import { api } from './api.js';
import { t, lang } from './i18n.js';
import { organisations } from './organisations.js';
import { dateTime } from './time.js';
import { name, valueText } from './observation.js';
import { qrImage } from './qr.js';
import { ACTIONS, RESULTS, said } from './audit_words.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function staffLogin(done) {
  const login = h('input', { id: 'staff-login', type: 'email', autocomplete: 'username' });
  const password = h('input', { id: 'staff-password', type: 'password', autocomplete: 'current-password' });
  const otp = h('input', { id: 'staff-otp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 });
  const out = h('p', { id: 'staff-message' });
  show(h('h1', {}, t('staff')),
    h('form', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          await api('POST', '/api/v1/staff/login', { login: login.value, password: password.value, otp: otp.value });
          done();
        } catch (e) {
          message(out, e.message);
        }
      },
    },
    h('label', { for: 'staff-login' }, t('login')), login,
    h('label', { for: 'staff-password' }, t('password')), password,
    h('label', { for: 'staff-otp' }, t('otp')), otp,
    h('p', {}, h('button', { type: 'submit', id: 'staff-submit' }, t('signin'))), out));
}

function handler() {
  const person = h('input', { id: 'handler-person', size: 38 });
  const reason = h('input', { id: 'handler-reason', size: 40 });
  const out = h('p', { id: 'handler-message' });
  const result = h('div', { id: 'handler-records' });
  const open = async (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    try {
      const headers = {};
      // The person's login (which they can tell over the phone), or their id.
      const who = person.value.trim();
      const asked = UUID.test(who) ? { person: who } : { login: who };
      let id = who;
      if (reason.value.trim()) {
        const r = await api('POST', '/api/v1/staff/reasons', { ...asked, reason: reason.value.trim() });
        headers['X-PHR-Reason'] = r.reason_id;
        id = r.person;
      }
      const b = await api('GET', `/fhir/Observation?patient=${encodeURIComponent(id)}&_sort=-date&_total=accurate`, undefined, headers);
      message(out, `${b.total ?? (b.entry || []).length} ${t('records')}`, true);
      result.append(h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, t('date')), h('th', {}, t('item')), h('th', {}, t('value')))),
        h('tbody', {}, (b.entry || []).map((e) => h('tr', {},
          h('td', {}, dateTime(e.resource.effectiveDateTime)), h('td', {}, name(e.resource)), h('td', {}, valueText(e.resource)))))));
    } catch (e) {
      message(out, e.message);
    }
  };
  return [h('h2', {}, t('open_person')), h('p', { class: 'muted' }, t('reason_explain')),
    h('form', { onsubmit: open, novalidate: true },
      h('label', { for: 'handler-person' }, t('person_id')), person,
      h('label', { for: 'handler-reason' }, t('reason')), reason,
      h('p', {}, h('button', { type: 'submit', id: 'handler-open' }, t('open'))), out), result];
}

function auditor() {
  // Who, whose, what, and the days (date pickers, read as days in Japan).
  const fields = [['actor', 'audit_actor', 'text'], ['person', 'audit_subject', 'text'], ['action', 'audit_action', 'text'],
    ['from', 'audit_from', 'date'], ['to', 'audit_to', 'date']]
    .map(([k, label, type]) => [t(label), h('input', { id: `audit-${k}`, name: k, type })]);
  const more = h('button', { type: 'button', id: 'audit-next', class: 'secondary', hidden: true }, t('audit_next'));
  let after = null;
  const out = h('p', { id: 'audit-message' });
  const result = h('div', { id: 'audit-entries' });
  const download = h('a', { id: 'audit-export', hidden: true, download: 'handling-history.json' }, t('audit_export'));
  const verified = h('p', { id: 'audit-verified' });
  const query = async (ev) => {
    ev?.preventDefault?.();
    if (ev) after = null; // a new search starts at the beginning
    const q = new URLSearchParams();
    for (const [, el] of fields) if (el.value.trim()) q.set(el.name, el.value.trim());
    q.set('limit', '200');
    try {
      const r = await api('GET', `/api/v1/audit?${q}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      message(out, `${r.entries.length}${r.more ? '+' : ''}`, true);
      after = r.next || null;
      more.hidden = !r.more;
      // The same range, whole, as a file (the server records that reading too).
      q.set('limit', '1000');
      download.href = `/api/v1/audit?${q}`;
      download.hidden = false;
      result.replaceChildren(h('table', {},
        h('thead', {}, h('tr', {}, ['audit_seq', 'date', 'audit_actor', 'staff_role', 'audit_action', 'audit_subject', 'audit_result',
          'reason'].map((c) => h('th', {}, t(c))))),
        h('tbody', {}, r.entries.map((e) => h('tr', {}, [e.seq, dateTime(e.at), e.actor, roleName(e.role), codeAndWords(ACTIONS, e.action),
          e.subject, said(RESULTS, e.result), e.reason].map((v) => h('td', {}, v ?? '')))))));
    } catch (e) {
      message(out, e.message);
    }
  };
  more.addEventListener('click', () => query(null));
  const verify = async () => {
    try {
      const v = await api('GET', '/api/v1/audit/verify');
      message(verified, v.intact ? `${t('audit_intact')}: ${v.entries} / ${v.checkpoints} ${t('checkpoints')}`
        : `${t('audit_broken')} ${v.first_bad_entry}: ${v.problem}`, v.intact);
    } catch (e) {
      message(verified, e.message);
    }
  };
  return [h('h2', {}, t('history_audit')),
    h('form', { onsubmit: query }, fields.map(([k, el]) => [h('label', { for: el.id }, k), el]),
      h('p', {}, h('button', { type: 'submit', id: 'audit-query' }, t('search')))), out, h('p', {}, download), result,
      h('p', {}, more),
    h('h2', {}, t('audit_verify')), h('p', {}, h('button', { type: 'button', id: 'audit-verify', onclick: verify }, t('audit_verify'))),
    verified];
}

const ROLES = ['handler', 'security-officer', 'auditor', 'asset-manager'];

async function manager() {
  const out = h('p', { id: 'staff-message' });
  const shown = h('div', { id: 'staff-new' });
  const body = h('tbody', {});
  const row = (s) => h('tr', {}, h('td', {}, s.login), h('td', {},
    h('select', { 'aria-label': `${s.login} role`, class: 'staff-role', onchange: async (ev) => {
      const to = ev.target.value;
      if (await confirmAct({ title: `${t('confirm_role_title')} ${s.login}: ${roleName(s.role)} → ${roleName(to)}`, consequences: [t('role_1')],
        act: t('save'), cancel: t('confirm_cancel') })) change({ action: 'role', login: s.login, role: to });
      else ev.target.value = s.role;
    } },
      ROLES.map((r) => h('option', { value: r, selected: r === s.role }, roleName(r))))),
  h('td', {}, s.status === 'active' ? t('staff_active') : t('staff_disabled')),
  h('td', {}, s.status === 'active'
    ? h('button', { type: 'button', class: 'secondary staff-disable', onclick: async () => {
      if (await confirmAct({ title: `${t('confirm_disable_title')} ${s.login}`, consequences: [t('disable_1'), t('disable_2')],
        act: t('disable'), cancel: t('confirm_cancel') })) change({ action: 'disable', login: s.login });
    } }, t('disable'))
    : h('button', { type: 'button', class: 'staff-enable', onclick: () => change({ action: 'enable', login: s.login }) }, t('enable'))));
  const refresh = async () => {
    const list = await api('GET', '/api/v1/staff/accounts');
    body.replaceChildren(...(list.staff || list).map(row));
  };
  const change = async (req) => {
    try {
      await api('POST', '/api/v1/staff/accounts', req);
      await refresh();
    } catch (e) {
      message(out, e.message);
    }
  };
  const login = h('input', { id: 'new-staff-login', type: 'email', autocomplete: 'off' });
  const role = h('select', { id: 'new-staff-role' }, ROLES.map((r) => h('option', { value: r }, roleName(r))));
  const add = async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api/v1/staff/accounts', { action: 'add', login: login.value.trim(), role: role.value });
      // Shown once: the first password, the authenticator's URI and the recovery codes.
      shown.replaceChildren(h('div', { class: 'warning', role: 'status' }, h('p', {}, t('staff_once')),
        h('ul', {}, h('li', {}, `${t('login')}: ${r.login ?? login.value.trim()}`), h('li', {}, `${t('password')}: ${r.password}`),
          h('li', {}, `${t('staff_totp')}: `, h('span', { lang: 'en' }, r.totp_uri)),
          h('li', {}, `${t('staff_recovery')}: ${(r.recovery_codes || []).join(' ')}`)),
        r.qr ? [h('p', {}, t('staff_scan')), qrImage(r.qr, t('factor_qr'))] : []));
      await refresh();
    } catch (e) {
      message(out, e.message);
    }
  };
  await refresh();
  return [h('h2', {}, t('staff_accounts')), out, h('table', { id: 'staff-accounts' },
    h('thead', {}, h('tr', {}, [t('login'), t('staff_role'), t('state')].map((c) => h('th', {}, c)),
      h('th', {}, h('span', { class: 'visually-hidden' }, t('staff_actions'))))), body),
  h('h3', {}, t('staff_add')),
  h('form', { id: 'staff-add', onsubmit: add, novalidate: true },
    h('label', { for: 'new-staff-login' }, t('login')), login, h('label', { for: 'new-staff-role' }, t('staff_role')), role,
    h('p', {}, h('button', { type: 'submit', id: 'staff-add-submit' }, t('staff_add')))), shown];
}

const ROLE_NAMES = {
  handler: ['取扱者', 'Handler'], 'security-officer': ['責任者', 'Security officer'], auditor: ['監査者', 'Auditor'],
  'asset-manager': ['情報資産の管理者', 'Information-asset manager'],
};
const roleName = (r) => ROLE_NAMES[r]?.[lang === 'en' ? 1 : 0] ?? r;
// Words first, and the code the filter above takes beside them.
const codeAndWords = (table, code) => (code ? [said(table, code), ' ', h('code', { lang: 'en' }, code)] : '');

// The header on staff pages: who is signed in, as the session says (the
// same in every tab), and signing out; not the person's menu.
export async function staffNav() {
  const me = await api('GET', '/api/v1/staff/me');
  document.getElementById('nav').replaceChildren(
    h('span', { id: 'staff-session' }, `${t('staff')}: ${roleName(me.role)}`),
    h('a', { href: '#/staff', id: 'staff-home-link' }, t('home')),
    h('a', {
      href: '#/staff/login', id: 'staff-signout',
      onclick: async () => { await api('POST', '/api/v1/staff/logout').catch(() => {}); },
    }, t('signout')));
  return me;
}

const anonymisedLink = () => h('p', {}, h('a', { href: '#/staff/anonymised', id: 'anonymised-admin-link' }, t('anon_link')));

export async function staffHome() {
  const draw = view();
  const { role } = await staffNav();
  const parts = role === 'handler' ? handler()
    : role === 'security-officer' || role === 'auditor' ? [role === 'security-officer' ? anonymisedLink() : [], auditor(),
      await organisations(false)]
      : role === 'asset-manager' ? [h('p', {}, h('a', { href: '#/staff/policies', id: 'policy-admin-link' }, t('policy_admin_link'))),
        anonymisedLink(), await manager(), await organisations(true)] : [];
  draw(h('h1', {}, `${t('staff')}（${roleName(role)}）`), parts);
}
