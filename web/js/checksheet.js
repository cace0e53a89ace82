// The approved checksheet (R5.3, Q5-2) inside the portal: the guideline's
// items, what the provider does about each, with its evidence, the items
// not done and why, and earlier assessments. The same as /checksheet (a
// page of its own, for links from outside) and /checksheet.json.
import { h, view } from './dom.js';
import { api } from './api.js';
import { t, lang, pick } from './i18n.js';
import { day } from './time.js';

const STATUS = {
  implemented: ['実施している', 'Implemented'], equivalent: ['代替措置で実施している', 'Implemented by an equivalent measure'],
  'not-applicable': ['該当しない', 'Not applicable'], 'not-implemented': ['実施していない', 'Not implemented'],
};
const statusText = (s) => (STATUS[s] || STATUS['not-implemented'])[lang === 'en' ? 1 : 0];

function evidence(it) {
  const ev = it.evidence || {};
  return [ev.computed ? t('checksheet_computed') : t('checksheet_answered'), ': ', ev.text || '',
    ev.date ? ` (${day(ev.date)})` : '', ev.document ? ` / ${ev.document}` : '',
    it.reason ? [h('br'), `${t('checksheet_reason')}: ${it.reason}`] : []];
}

export async function checksheet(id) {
  const draw = view();
  let sheet;
  try {
    sheet = await api('GET', id ? `/checksheet/${encodeURIComponent(id)}.json` : '/checksheet.json');
  } catch (e) {
    if (e.status !== 404) throw e;
    return draw(h('h1', {}, t('checksheet')), h('p', { id: 'checksheet-none' }, t('checksheet_none')));
  }
  return draw(
    h('h1', {}, t('checksheet_title')),
    h('p', {}, `${sheet.guideline?.title ?? ''}（${sheet.guideline?.version ?? ''}）`),
    h('p', { class: 'muted' }, `${t('checksheet_assessed')} ${day(sheet.assessed_at)} ・ ${t('checksheet_approved')} ${day(sheet.approved_at)}（${sheet.approved_by ?? ''}）`),
    h('p', {}, pick(sheet.wording)),
    h('div', { class: 'table-wrap' }, h('table', { id: 'checksheet-items' },
      h('thead', {}, h('tr', {}, [t('checksheet_item'), t('checksheet_clause'), t('checksheet_question'), t('state'), t('checksheet_evidence')]
        .map((c) => h('th', {}, c)))),
      h('tbody', {}, (sheet.items || []).map((it) => h('tr', {}, h('td', {}, it.id), h('td', {}, it.clause),
        h('td', {}, pick(it.question)), h('td', {}, statusText(it.status)), h('td', {}, evidence(it))))))),
    h('h2', {}, t('checksheet_not_done')),
    (sheet.not_implemented || []).length
      ? h('ul', { id: 'checksheet-not-done' }, sheet.not_implemented.map((r) => h('li', {}, `${r.id}: ${r.reason}`)))
      : h('p', {}, t('none')),
    (sheet.others || []).length ? [h('h2', {}, t('checksheet_earlier')),
      h('ul', {}, sheet.others.map((o) => h('li', {}, h('a', { href: `#/checksheet/${o.id}` }, day(o.assessed_at)), ` ${o.guideline_version ?? ''}`)))]
      : [],
    h('p', {}, h('a', { href: id ? `/checksheet/${encodeURIComponent(id)}.json` : '/checksheet.json' }, 'JSON')));
}
