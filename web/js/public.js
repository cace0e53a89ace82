// Pages anyone may read: the landing page, the policy documents and the
// purposes of use, all from the versions in force in the store.
import { h, show, view } from './dom.js';
import { api } from './api.js';
import { t, pick, lang } from './i18n.js';
import { markdown } from './text.js';
import { day } from './time.js';

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
      ['terms', 'summary', 'privacy', 'anonymised'].map((k) => h('li', {}, h('a', { href: `#/policy/${k}` }, t(k)))),
      h('li', {}, h('a', { href: '#/purposes' }, t('purposes'))),
      h('li', {}, h('a', { href: '#/checksheet' }, t('checksheet')))),
  );
}

// What each anonymised data set made holds (APPI Art.43(3)), under the
// notice: published by the service in the step that recorded the data set.
async function anonymisedSets() {
  const { data_sets: sets } = await api('GET', '/api/v1/anonymised');
  return [h('h2', {}, t('anon_sets')), sets.length
    ? h('ul', { id: 'anonymised-sets' }, sets.map((d) => h('li', {},
      h('strong', {}, d.name), ` ・ ${t('anon_made')} ${day(d.made_at)} ・ ${t('anon_rows')} ${d.rows}`,
      h('p', {}, `${t('anon_items')}: ${d.items.map((i) => i.name).join(t('list_sep'))}`),
      h('p', {}, `${t('anon_qis')}: ${d.quasi_identifiers.map((q) => t(`qi_${q}`)).join(t('list_sep'))}`),
      d.provided.length ? h('p', {}, `${t('anon_provided')}: `,
        d.provided.map((x) => `${day(x.at)} ${x.method}`).join(t('list_sep'))) : [],
      h('p', { class: 'muted' }, pick(d.statement)))))
    : h('p', { id: 'anonymised-sets' }, t('anon_none'))];
}

// A policy document in force, or (#/policy/terms/v2) an earlier version,
// with every version listed: what was agreed to stays readable.
export async function policy(path) {
  const draw = view();
  const [kind, v] = path.split('/');
  const version = v && /^v\d+$/.test(v) ? Number(v.slice(1)) : null;
  const [p, all, sets] = await Promise.all([loadPolicies(), api('GET', `/api/v1/policies/${encodeURIComponent(kind)}/versions`),
    kind === 'anonymised' && !version ? anonymisedSets() : []]);
  const inLang = (list) => list.find((d) => d.lang === lang) || list.find((d) => d.lang === 'ja');
  const d = version ? inLang(all.versions.filter((x) => x.version === version)) : documentOf(p, kind);
  if (!d) return draw(h('p', { class: 'error' }, '—'));
  const current = documentOf(p, kind);
  const versions = [...new Set(all.versions.map((x) => x.version))];
  return draw(
    h('h1', {}, d.title),
    h('p', { class: 'muted' }, `${t('version')} ${d.version} ・ ${t('effective')} ${day(d.effective)}`,
      d.export_period_days ? ` ・ ${t('export_period')} ${d.export_period_days}${t('days_unit')}` : ''),
    current && d.version !== current.version
      ? h('p', { class: 'warning', id: 'earlier-version' }, t('earlier_version'), ' ', h('a', { href: `#/policy/${kind}` }, t('current_version')))
      : [],
    markdown(d.text),
    sets,
    versions.length > 1 ? [h('h2', {}, t('policy_versions')), h('ul', { id: 'policy-versions' }, versions.map((n) => {
      const x = inLang(all.versions.filter((y) => y.version === n));
      return h('li', {}, h('a', { href: `#/policy/${kind}/v${n}` }, `${t('version')} ${n}`), ` ・ ${t('effective')} ${day(x.effective)}`);
    }))] : [],
  );
}

// The kinds of data a provision purpose gives, named by the service from
// the table its gate decides on (not from the purpose's own text).
export function providedKinds(pp) {
  if (!pp.recipient_group) return null;
  const names = (pp.data_kinds || []).map((k) => pick(k.title));
  return h('p', { class: 'kinds' }, `${t('provided_kinds')}: `, names.length ? names.join(t('list_sep')) : t('provided_nothing'));
}

export function purposeCard(pp, extra) {
  return h('div', { class: 'card purpose' }, extra || null,
    h('div', {}, h('strong', {}, pick(pp.title), ` (${pp.required ? t('required') : t('optional')})`),
      h('p', {}, pick(pp.description)), providedKinds(pp)));
}

export async function purposes() {
  const p = await loadPolicies();
  show(h('h1', {}, t('purposes')), p.purposes.map((pp) => purposeCard(pp)));
}
