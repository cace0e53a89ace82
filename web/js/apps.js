// Apps the person connects (SMART App Launch): the page an app sends them
// to, where they see who asks for what and decide; and the list of the
// apps they approved, each revoked with one button.
import { h, message, view, confirmAct } from './dom.js';
import { api } from './api.js';
import { t, pick, lang } from './i18n.js';
import { loadPolicies, documentOf } from './public.js';
import { dateTime } from './time.js';

const when = dateTime;

export async function authorize(query) {
  const draw = view();
  const [ask, p] = await Promise.all([api('GET', `/api/v1/me/app-request?${query}`), loadPolicies()]);
  const out = h('p', { id: 'authorize-message', role: 'status' });
  const decide = (decision) => async () => {
    try {
      const r = await api('POST', '/api/v1/me/apps', { query, decision, shown: p.documents.map((d) => d.sha256) });
      location.assign(r.redirect);
    } catch (e) {
      message(out, e.message);
    }
  };
  const docs = ['terms', 'summary', 'privacy'].map((kind) => documentOf(p, kind)).filter(Boolean);
  draw(
    h('h1', {}, t('app_connect')),
    h('section', { class: 'card', id: 'app-who' },
      h('h2', {}, ask.name),
      h('p', {}, `${t('app_runs')}: ${ask.address}`),
      h('p', { class: ask.country === 'JP' ? '' : 'error', id: 'app-country' },
        `${t('app_country')}: ${ask.country}`, ask.country === 'JP' ? '' : ` — ${t('app_abroad')}`)),
    h('h2', {}, t('app_wants')),
    h('ul', { id: 'app-scopes' }, ask.scopes.map((s) => h('li', {}, lang === 'en' ? s.en : s.ja))),
    h('h2', {}, t('app_purposes')),
    ask.purposes.length
      ? ask.purposes.map((pp) => h('div', { class: 'card purpose' },
        h('strong', {}, pick({ ja: pp.title_ja, en: pp.title_en })),
        h('p', {}, pick({ ja: pp.description_ja, en: pp.description_en }))))
      : h('p', { class: 'error' }, t('app_no_purpose')),
    h('p', { class: 'muted' }, t('app_explain'), ' ',
      docs.map((d, i) => [i ? ' ・ ' : '', h('a', { href: `#/policy/${d.kind}`, target: '_blank' }, t(d.kind))])),
    h('p', {},
      h('button', { type: 'button', id: 'app-approve', onclick: decide('approve') }, t('app_approve')), ' ',
      h('button', { type: 'button', class: 'secondary', id: 'app-refuse', onclick: decide('refuse') }, t('app_refuse'))),
    out,
  );
}

export async function apps() {
  const draw = view();
  const list = await api('GET', '/api/v1/me/apps');
  const out = h('p', { id: 'apps-message', role: 'status' });
  const revoke = (id) => async () => {
    if (!(await confirmAct({ title: t('confirm_revoke_title'), consequences: [t('revoke_1'), t('revoke_2'), t('revoke_3')],
      act: t('app_revoke'), cancel: t('confirm_cancel') }))) return;
    try {
      await api('DELETE', `/api/v1/me/apps/${encodeURIComponent(id)}`);
      await apps();
      message(document.getElementById('apps-message'), t('app_revoked'), true);
    } catch (e) {
      message(out, e.message);
    }
  };
  draw(
    h('h1', {}, t('apps')),
    h('p', { class: 'muted' }, t('apps_explain')),
    out,
    list.apps.length ? list.apps.map((a) => h('div', { class: 'card', id: `app-${a.id}` },
      h('strong', {}, a.name),
      h('ul', { class: 'app-scopes' }, a.scopes.map((x) => h('li', {}, lang === 'en' ? x.en : x.ja))),
      h('p', {}, `${t('app_approved_at')}: ${when(a.approved_at)}`,
        a.last_read_at ? ` ・ ${t('app_last_read')}: ${when(a.last_read_at)}` : ` ・ ${t('app_never_read')}`),
      a.revoked_at ? h('p', { class: 'muted' }, `${t('app_revoked_at')}: ${when(a.revoked_at)}`)
        : h('button', { type: 'button', class: 'secondary', id: `revoke-${a.id}`, onclick: revoke(a.id) }, t('app_revoke'))))
      : h('p', {}, t('none')),
  );
}
