// Sign-in security for a person: the optional second factor, a 6-digit
// code from an authenticator app at every sign-in. Turned on by scanning
// the QR code (or typing the setup key) and entering a first code, which
// shows ten recovery codes once; turned off with the password and a
// current code or a recovery code. A lost phone without the codes is the
// provider's desk's to handle, after checking who asks
// (phr account second-factor-off).
import { h, message, view } from './dom.js';
import { api } from './api.js';
import { t } from './i18n.js';
import { qrImage } from './qr.js';

const PATH = '/api/v1/me/second-factor';

function codeInput(id) {
  return h('input', { id, inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, pattern: '[0-9]{6}' });
}

function setup(out, done) {
  const area = h('div', { id: 'factor-setup' });
  const begin = async () => {
    try {
      const r = await api('POST', PATH, { action: 'begin' });
      const key = new URL(r.totp_uri).searchParams.get('secret');
      const code = codeInput('factor-otp');
      area.replaceChildren(h('p', {}, t('factor_scan')), qrImage(r.qr, t('factor_qr')),
        h('p', {}, `${t('factor_key')}: `, h('code', { id: 'factor-key' }, key.replace(/(.{4})/g, '$1 ').trim())),
        h('p', {}, h('a', { href: r.totp_uri }, t('factor_open_app'))),
        h('form', {
          onsubmit: async (ev) => {
            ev.preventDefault();
            try {
              const r = await api('POST', PATH, { action: 'confirm', otp: code.value.trim() });
              done(t('factor_enabled_now'), r.recovery_codes);
            } catch (e) {
              message(out, e.message);
            }
          },
        }, h('label', { for: 'factor-otp' }, t('factor_code')), code,
        h('p', {}, h('button', { type: 'submit', id: 'factor-confirm' }, t('factor_confirm')))));
    } catch (e) {
      message(out, e.message);
    }
  };
  area.append(h('button', { type: 'button', id: 'factor-begin', onclick: begin }, t('factor_begin')));
  return [h('p', {}, t('factor_explain')), area];
}

// What the person typed in a code field: 6 digits are the app's code,
// anything else one of the recovery codes.
export function codeFields(value) {
  const v = value.trim().replace(/\s+/g, '');
  if (!v) return {};
  return /^\d{6}$/.test(v) ? { otp: v } : { recovery_code: v.toLowerCase() };
}

function turnOff(out, done) {
  const password = h('input', { id: 'factor-password', type: 'password', autocomplete: 'current-password' });
  const code = h('input', { id: 'factor-off-otp', autocomplete: 'one-time-code' });
  return [h('p', { class: 'ok' }, t('factor_is_on')), h('h2', {}, t('factor_off')), h('p', {}, t('factor_off_explain')),
    h('form', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          await api('POST', PATH, { action: 'off', password: password.value, ...codeFields(code.value) });
          done(t('factor_disabled_now'));
        } catch (e) {
          message(out, e.message);
        }
      },
    }, h('label', { for: 'factor-password' }, t('password')), password,
    h('label', { for: 'factor-off-otp' }, t('factor_code_or_recovery')), code,
    h('p', {}, h('button', { type: 'submit', class: 'danger', id: 'factor-off' }, t('factor_off'))))];
}

// The recovery codes, shown once, right after the factor is turned on.
function recoveryCodes(codes) {
  if (!codes) return null;
  return h('div', { class: 'warning', role: 'status', id: 'factor-codes' }, h('p', {}, t('factor_codes')),
    h('ul', {}, codes.map((c) => h('li', {}, h('code', {}, c)))));
}

export async function security(notice, codes) {
  const draw = view();
  const state = await api('GET', PATH);
  const out = h('p', { id: 'factor-message' });
  if (notice) message(out, notice, true);
  const done = (text, shown) => security(text, shown);
  draw(h('h1', {}, t('security')), out, recoveryCodes(codes), state.enabled ? turnOff(out, done) : setup(out, done));
}
