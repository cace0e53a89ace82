// Staff pages: sign-in with the second factor; a handler opens a person's
// records only under a stated reason (the server refuses otherwise, and
// the page shows its refusal); the security officer and auditors read the
// handling history with filters; the information-asset manager sees the
// staff accounts.
import { h, show, message, view } from './dom.js';
import { api } from './api.js';
import { t } from './i18n.js';

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
          const r = await api('POST', '/api/v1/staff/login', { login: login.value, password: password.value, otp: otp.value });
          sessionStorage.setItem('staffRole', r.role);
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
      if (reason.value.trim()) {
        const r = await api('POST', '/api/v1/staff/reasons', { person: person.value.trim(), reason: reason.value.trim() });
        headers['X-PHR-Reason'] = r.reason_id;
      }
      const b = await api('GET', `/fhir/Observation?patient=${encodeURIComponent(person.value.trim())}&_sort=-date`, undefined, headers);
      message(out, `${b.total ?? (b.entry || []).length} ${t('records')}`, true);
      result.append(h('table', {}, h('tbody', {}, (b.entry || []).map((e) => h('tr', {},
        h('td', {}, e.resource.effectiveDateTime), h('td', {}, e.resource.code.coding[0].code))))));
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
  const fields = ['actor', 'person', 'action', 'from', 'to'].map((k) => [k, h('input', { id: `audit-${k}`, name: k })]);
  const out = h('p', { id: 'audit-message' });
  const result = h('div', { id: 'audit-entries' });
  const query = async (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, el] of fields) if (el.value.trim()) q.set(k, el.value.trim());
    q.set('limit', '200');
    try {
      const r = await api('GET', `/api/v1/audit?${q}`);
      message(out, `${r.entries.length}`, true);
      result.replaceChildren(h('table', {},
        h('thead', {}, h('tr', {}, ['seq', 'at', 'actor', 'role', 'action', 'subject', 'result', 'reason'].map((c) => h('th', {}, c)))),
        h('tbody', {}, r.entries.map((e) => h('tr', {}, [e.seq, e.at, e.actor, e.role, e.action, e.subject, e.result, e.reason]
          .map((v) => h('td', {}, v ?? '')))))));
    } catch (e) {
      message(out, e.message);
    }
  };
  return [h('h2', {}, t('history_audit')),
    h('form', { onsubmit: query }, fields.map(([k, el]) => [h('label', { for: el.id }, k), el]),
      h('p', {}, h('button', { type: 'submit', id: 'audit-query' }, t('search')))), out, result];
}

async function manager() {
  const list = await api('GET', '/api/v1/staff/accounts');
  return [h('h2', {}, t('staff_accounts')), h('table', { id: 'staff-accounts' },
    h('thead', {}, h('tr', {}, ['login', 'role', 'status'].map((c) => h('th', {}, c)))),
    h('tbody', {}, (list.staff || list).map((s) => h('tr', {}, h('td', {}, s.login), h('td', {}, s.role), h('td', {}, s.status)))))];
}

export async function staffHome() {
  const draw = view();
  const role = sessionStorage.getItem('staffRole');
  const parts = role === 'handler' ? handler()
    : role === 'security-officer' || role === 'auditor' ? auditor()
      : role === 'asset-manager' ? await manager() : [];
  draw(h('h1', {}, `${t('staff')} (${role})`), parts);
}
