// Pages anyone may read: the landing page, the policy documents and the
// purposes of use, all from the versions in force in the store.
import { h, show } from './dom.js';
import { api } from './api.js';
import { t, pick, lang } from './i18n.js';
import { markdown } from './text.js';

let policies = null;
export async function loadPolicies() {
  if (!policies) policies = await api('GET', '/api/v1/policies');
  return policies;
}

// The document of a kind in the language shown (Japanese if there is no
// translation).
export function documentOf(p, kind) {
  const all = p.documents.filter((d) => d.kind === kind);
  return all.find((d) => d.lang === lang) || all.find((d) => d.lang === 'ja');
}

export function landing(signedIn) {
  show(
    h('h1', {}, t('welcome')),
    signedIn ? h('p', {}, h('a', { href: '#/home' }, t('home')))
      : h('p', {}, h('a', { href: '#/signup' }, t('signup')), ' ・ ', h('a', { href: '#/login' }, t('signin'))),
    h('ul', {},
      ['terms', 'summary', 'privacy'].map((k) => h('li', {}, h('a', { href: `#/policy/${k}` }, t(k)))),
      h('li', {}, h('a', { href: '#/purposes' }, t('purposes'))),
      h('li', {}, h('a', { href: '/checksheet' }, t('checksheet')))),
  );
}

export async function policy(kind) {
  const p = await loadPolicies();
  const d = documentOf(p, kind);
  if (!d) return show(h('p', { class: 'error' }, '—'));
  show(
    h('h1', {}, d.title),
    h('p', { class: 'muted' }, `${t('version')} ${d.version} ・ ${t('effective')} ${d.effective.slice(0, 10)}`,
      d.export_period_days ? ` ・ export ${d.export_period_days} days` : ''),
    markdown(d.text),
  );
}

export function purposeCard(pp, extra) {
  return h('div', { class: 'card purpose' }, extra || null,
    h('div', {}, h('strong', {}, pick(pp.title), ` (${pp.required ? t('required') : t('optional')})`),
      h('p', {}, pick(pp.description))));
}

export async function purposes() {
  const p = await loadPolicies();
  show(h('h1', {}, t('purposes')), p.purposes.map((pp) => purposeCard(pp)));
}
