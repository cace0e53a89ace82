// Sign-up and sign-in. Sign-up shows the summary of the terms and every
// purpose of use before anything is stored; the person chooses each
// purpose explicitly; the account, the sign-in and the consents follow,
// each naming the texts that were shown (their SHA-256).
import { h, show, message } from './dom.js';
import { api } from './api.js';
import { codeFields } from './security.js';
import { t, pick } from './i18n.js';
import { loadPolicies, documentOf, providedKinds } from './public.js';
import { markdown } from './text.js';

export async function signup(done) {
  const p = await loadPolicies();
  const summary = documentOf(p, 'summary');
  const boxes = p.purposes.map((pp) => h('input', {
    type: 'checkbox', id: `purpose-${pp.code}`, 'data-code': pp.code, 'data-required': pp.required ? '1' : '0',
  }));
  const login = h('input', { id: 'signup-login', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'signup-password', type: 'password', autocomplete: 'new-password', minlength: 12, required: true });
  const out = h('p', { id: 'signup-message' });
  const submit = async (ev) => {
    ev.preventDefault();
    const missing = p.purposes.filter((pp, i) => pp.required && !boxes[i].checked);
    if (missing.length) return message(out, `${t('required')}: ${missing.map((m) => pick(m.title)).join(', ')}`);
    try {
      await api('POST', '/api/v1/signup', { login: login.value, password: password.value });
      await api('POST', '/api/v1/login', { login: login.value, password: password.value });
      const decisions = p.purposes.filter((pp, i) => boxes[i].checked).map((pp) => ({ purpose: pp.code, decision: 'grant' }));
      await api('POST', '/api/v1/me/consents', { decisions, shown: p.documents.map((d) => d.sha256) });
      done();
    } catch (e) {
      message(out, e.message);
    }
  };
  show(
    h('h1', {}, t('signup')),
    h('p', {}, t('agree_intro')),
    summary ? h('section', { class: 'card', id: 'summary' }, h('h2', {}, summary.title), markdown(summary.text)) : null,
    h('form', { id: 'signup-form', onsubmit: submit },
      h('h2', {}, t('purposes')),
      p.purposes.map((pp, i) => h('div', { class: 'card purpose' }, boxes[i],
        h('div', {}, h('label', { for: boxes[i].id }, pick(pp.title), ` (${pp.required ? t('required') : t('optional')})`),
          h('p', {}, pick(pp.description)), providedKinds(pp)))),
      h('label', { for: 'signup-login' }, t('login')), login,
      h('label', { for: 'signup-password' }, t('password')), password,
      h('p', {}, h('button', { type: 'submit', id: 'signup-submit' }, t('create'))),
      out),
  );
}

export function signin(done) {
  const login = h('input', { id: 'login-login', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
  const otp = h('input', { id: 'login-otp', autocomplete: 'one-time-code' });
  const out = h('p', { id: 'login-message' });
  const notices = h('div', { id: 'login-notices' });
  show(
    h('h1', {}, t('signin')),
    h('form', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const r = await api('POST', '/api/v1/login', { login: login.value, password: password.value, ...codeFields(otp.value) });
          done(r.notices || []);
        } catch (e) {
          message(out, e.message);
        }
      },
    },
    h('label', { for: 'login-login' }, t('login')), login,
    h('label', { for: 'login-password' }, t('password')), password,
    h('label', { for: 'login-otp' }, t('otp_optional')), otp,
    h('p', {}, h('button', { type: 'submit', id: 'login-submit' }, t('signin'))),
    out, notices),
  );
}
