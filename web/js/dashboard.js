// The top of home: a card per thing a person checks at a glance — the
// latest blood pressure with its category under the Japanese Society of
// Hypertension's home thresholds (2019), the weight's trend, today's steps
// against a goal, when the next checkup falls due — and, for someone with
// nothing recorded yet, the three ways to begin.
import { h } from './dom.js';
import { t, lang } from './i18n.js';
import { day, dayKey, hourOf } from './time.js';

// JSH 2019, home measurements: the higher of the two readings' classes.
const BP_CLASSES = [['正常血圧', 'Normal'], ['正常高値血圧', 'High normal'], ['高値血圧', 'Elevated'],
  ['I度高血圧', 'Grade I hypertension'], ['II度高血圧', 'Grade II hypertension'], ['III度高血圧', 'Grade III hypertension']];
export function bpClass(sys, dia) {
  const s = sys < 115 ? 0 : sys < 125 ? 1 : sys < 135 ? 2 : sys < 145 ? 3 : sys < 160 ? 4 : 5;
  const d = dia < 75 ? 0 : dia < 85 ? 2 : dia < 90 ? 3 : dia < 100 ? 4 : 5;
  return Math.max(s, d);
}

// 健康日本21（第三次）: 8,000 steps a day for adults under 65.
const STEPS_GOAL = 8000;

const card = (id, title, ...body) => h('div', { class: 'card summary', id }, h('h3', {}, title), ...body);

export function summaryCards({ bp, weights, steps, checkups }) {
  const cards = [];
  const last = bp[bp.length - 1];
  if (last) {
    const k = bpClass(last.sys, last.dia);
    cards.push(card('card-bp', t('bp'), h('p', { class: 'big' }, `${last.sys} / ${last.dia} mmHg`),
      h('p', { class: k >= 3 ? 'error' : '' }, BP_CLASSES[k][lang === 'en' ? 1 : 0]),
      h('p', { class: 'muted' }, `${last.when} ・ ${t('bp_class_note')}`)));
  }
  const w = weights[weights.length - 1];
  if (w) {
    const weekAgo = [...weights].reverse().find((p) => p.t <= w.t - 6.5 * 86400000);
    const delta = weekAgo ? Math.round((w.w - weekAgo.w) * 10) / 10 : null;
    cards.push(card('card-weight', t('weight'), h('p', { class: 'big' }, `${w.w} kg`),
      h('p', { class: 'muted' }, delta === null ? w.when : `${t('week_change')} ${delta > 0 ? '+' : ''}${delta} kg`)));
  }
  const today = dayKey(Date.now());
  const todaySteps = steps.filter((p) => dayKey(p.t) === today).reduce((a, p) => a + p.v, 0);
  if (steps.length) {
    cards.push(card('card-steps', t('steps'), h('p', { class: 'big' }, `${todaySteps.toLocaleString()} ${t('steps_unit')}`),
      h('progress', { max: STEPS_GOAL, value: Math.min(todaySteps, STEPS_GOAL), 'aria-label': t('steps_goal') }),
      h('p', { class: 'muted' }, `${t('steps_goal')} ${STEPS_GOAL.toLocaleString()} ${t('steps_unit')}`)));
  }
  const lastCheckup = checkups.map((o) => o.effectiveDateTime).filter(Boolean).sort().pop();
  if (lastCheckup) {
    const due = new Date(Date.parse(`${dayKey(lastCheckup)}T00:00:00+09:00`) + 365 * 86400000);
    cards.push(card('card-checkup', t('next_checkup'), h('p', { class: 'big' }, day(due.getTime())),
      h('p', { class: 'muted' }, `${t('last_checkup')} ${day(lastCheckup)}`)));
  }
  return cards.length ? [h('h2', {}, t('at_a_glance')), h('div', { class: 'cards', id: 'summary' }, cards)] : [];
}

export function onboarding() {
  return h('div', { id: 'onboarding' }, h('h2', {}, t('begin')), h('div', { class: 'cards' },
    card('begin-bp', t('begin_bp'), h('p', {}, t('begin_bp_text')), h('p', {}, h('a', { href: '#/record' }, t('record')))),
    card('begin-checkup', t('begin_checkup'), h('p', {}, t('begin_checkup_text')), h('p', {}, h('a', { href: '#/mydata' }, t('mydata')))),
    card('begin-okusuri', t('begin_okusuri'), h('p', {}, t('begin_okusuri_text')), h('p', {}, h('a', { href: '#/mydata' }, t('mydata'))))));
}

// Home blood pressure by week, mornings and evenings apart (JSH measures
// both: within an hour of waking, and before bed): the mean of each, the
// week named by its Monday, in Japan.
export function weeklyBp(bp) {
  const weeks = new Map();
  for (const p of bp) {
    const key = dayKey(p.t), [y, m, d] = key.split('-').map(Number);
    const date = new Date(Date.UTC(y, m - 1, d));
    const monday = new Date(date.getTime() - ((date.getUTCDay() + 6) % 7) * 86400000).toISOString().slice(0, 10);
    const hour = hourOf(p.t);
    const w = weeks.get(monday) ?? { am: [], pm: [] };
    (hour < 12 ? w.am : w.pm).push(p);
    weeks.set(monday, w);
  }
  const mean = (xs) => (xs.length ? `${Math.round(xs.reduce((a, p) => a + p.sys, 0) / xs.length)} / ${
    Math.round(xs.reduce((a, p) => a + p.dia, 0) / xs.length)}${lang === 'en' ? ` (${xs.length})` : `（${xs.length}）`}` : '—');
  const rows = [...weeks.entries()].sort((a, b) => (a[0] < b[0] ? 1 : -1));
  return h('table', { id: 'bp-weekly' }, h('caption', {}, t('bp_weekly')),
    h('thead', {}, h('tr', {}, h('th', {}, t('week_of')), h('th', {}, t('morning')), h('th', {}, t('evening')))),
    h('tbody', {}, rows.map(([monday, w]) => h('tr', {}, h('td', {}, day(monday)), h('td', {}, mean(w.am)), h('td', {}, mean(w.pm))))));
}
