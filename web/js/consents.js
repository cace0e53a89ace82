// Consents (state per purpose, the dated history, grant and withdraw with
// what changes said plainly) and who saw my data.
import { h, message, view, confirmAct } from './dom.js';
import { api } from './api.js';
import { t, pick } from './i18n.js';
import { loadPolicies, providedKinds } from './public.js';
import { dateTime, day } from './time.js';
import { ACTIONS, ACTORS, said } from './audit_words.js';

export async function consents() {
  const draw = view();
  const [c, p] = await Promise.all([api('GET', '/api/v1/me/consents'), loadPolicies()]);
  learnTitles(p);
  const out = h('p', { id: 'consent-message' });
  // What a withdrawal does, said before it is done.
  const consequences = (pp) => (pp.required ? [t('withdraw_required_1'), t('withdraw_required_2')]
    : pp.recipient_group ? [t('withdraw_provision_1'), t('withdraw_provision_2')] : [t('withdraw_other_1')])
    .concat(t('withdraw_again'));
  const decide = (code, decision) => async () => {
    const pp = c.purposes.find((x) => x.code === code);
    if (decision === 'withdraw' && !(await confirmAct({ title: `${t('confirm_withdraw_title')}: ${pick(pp.title)}`,
      consequences: consequences(pp), act: t('withdraw'), cancel: t('confirm_cancel') }))) return;
    try {
      await api('POST', '/api/v1/me/consents', { decisions: [{ purpose: code, decision }], shown: p.documents.map((d) => d.sha256) });
      await consents();
      message(document.getElementById('consent-message'), t('saved'), true);
    } catch (e) {
      message(out, e.message);
    }
  };
  const suspend = (action) => async () => {
    if (action === 'suspend' && !(await confirmAct({ title: t('confirm_suspend_title'),
      consequences: [t('suspend_1'), t('suspend_2')], act: t('suspend'), cancel: t('confirm_cancel') }))) return;
    try {
      await api('POST', '/api/v1/me/suspensions', { purpose: '*', action });
      await consents();
      message(document.getElementById('consent-message'), t('saved'), true);
    } catch (e) {
      message(out, e.message);
    }
  };
  draw(
    h('h1', {}, t('consents')),
    h('p', { class: 'muted' }, t('withdraw_explain')),
    out,
    h('div', { class: 'card', id: 'suspension' },
      h('strong', {}, t('suspension')),
      h('p', {}, t('suspension_explain')),
      c.suspended_all
        ? [h('p', { class: 'error' }, t('suspended')),
          h('button', { type: 'button', id: 'lift-all', onclick: suspend('lift') }, t('lift'))]
        : h('button', { type: 'button', class: 'secondary', id: 'suspend-all', onclick: suspend('suspend') }, t('suspend'))),
    c.purposes.map((pp) => {
      const granted = pp.decision === 'grant' && pp.covers_current;
      return h('div', { class: 'card', id: `consent-${pp.code}` },
        h('strong', {}, pick(pp.title), ` (${pp.required ? t('required') : t('optional')})`),
        h('p', {}, pick(pp.description)),
        providedKinds(pp),
        h('p', {}, `${t('state')}: `, h('span', { class: granted ? 'ok' : 'muted' }, granted ? t('granted') : t('not_granted')),
          pp.decided_at ? ` (${day(pp.decided_at)})` : ''),
        pp.notice === 'changed-material' && pp.decision === 'grant'
          ? h('p', { class: 'error', id: `changed-${pp.code}` }, t('changed_material'))
          : pp.notice === 'changed-minor' ? h('p', { class: 'muted', id: `changed-${pp.code}` }, t('changed_minor')) : [],
        granted ? h('button', { type: 'button', class: 'secondary', id: `withdraw-${pp.code}`, onclick: decide(pp.code, 'withdraw') }, t('withdraw'))
          : h('button', { type: 'button', id: `grant-${pp.code}`, onclick: decide(pp.code, 'grant') }, t('grant')));
    }),
    h('h2', {}, t('history')),
    h('table', { id: 'consent-history' },
      h('thead', {}, h('tr', {}, h('th', {}, t('date')), h('th', {}, t('purposes')), h('th', {}, t('state')))),
      h('tbody', {}, c.history.slice().reverse().map((e) =>
        h('tr', {}, h('td', {}, dateTime(e.at)), h('td', {}, titleOf(e.purpose)), h('td', {}, said(DECISION, e.decision)))))),
  );
}

// A purpose by its title (as published) rather than its code.
let titles = {};
const learnTitles = (p) => { titles = Object.fromEntries((p.purposes || []).map((x) => [x.code, x.title])); };
const titleOf = (code) => pick(titles[code]) || code;
const DECISION = { grant: ['同意', 'Granted'], withdraw: ['撤回', 'Withdrawn'] };

export async function access() {
  const draw = view();
  const [events, prov, p] = await Promise.all([api('GET', '/fhir/AuditEvent'), api('GET', '/api/v1/me/provisions'), loadPolicies()]);
  learnTitles(p);
  const rows = (events.entry || []).map((e) => e.resource);
  draw(
    h('h1', {}, t('access')),
    h('h2', {}, t('by_others')),
    rows.length ? h('table', { id: 'access-events' },
      h('thead', {}, h('tr', {}, h('th', {}, t('date')), h('th', {}, t('audit_actor')), h('th', {}, t('audit_action')))),
      h('tbody', {}, rows.map((r) => h('tr', {}, h('td', {}, dateTime(r.recorded)),
        h('td', {}, said(ACTORS, r.agent?.[0]?.type?.text || r.agent?.[0]?.role?.[0]?.text || 'unknown')),
        h('td', {}, said(ACTIONS, r.subtype?.[0]?.code || ''))))))
      : h('p', {}, t('none')),
    h('h2', {}, t('provisions')),
    prov.provisions.length ? h('table', { id: 'provisions' },
      h('thead', {}, h('tr', {}, h('th', {}, t('date')), h('th', {}, t('recipient')), h('th', {}, t('purposes')))),
      h('tbody', {}, prov.provisions.map((x) => h('tr', {}, h('td', {}, dateTime(x.at)),
        h('td', {}, `${x.recipient.name} (${x.recipient.country})`), h('td', {}, titleOf(x.purpose))))))
      : h('p', {}, t('none')),
  );
}
