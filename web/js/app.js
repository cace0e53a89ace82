// The portal: one page, views chosen by the URL's fragment (#/home …), each
// drawn from the APIs with the session cookie the sign-in set.
import { h, show, startView, viewToken } from './dom.js';
import { api } from './api.js';
import { t, lang, toggle } from './i18n.js';
import { landing, policy, purposes } from './public.js';
import { signup, signin } from './account.js';

// A view's module is fetched when the view is first opened: the landing
// page and sign-in load what they need, not the charts or the staff pages.
const lazy = (file, name) => async (...args) => {
  const mine = viewToken();
  const mod = await import(`./${file}`);
  return mine === viewToken() ? mod[name](...args) : undefined;
};
const home = lazy('records.js', 'home'), record = lazy('records.js', 'record');
const checkupEntry = lazy('checkup_entry.js', 'checkupEntry');
const consents = lazy('consents.js', 'consents'), access = lazy('consents.js', 'access');
const mydata = lazy('mydata.js', 'mydata'), security = lazy('security.js', 'security');
const details = lazy('details.js', 'details');
const authorize = lazy('apps.js', 'authorize'), apps = lazy('apps.js', 'apps');
const staffLogin = lazy('staff.js', 'staffLogin'), staffHome = lazy('staff.js', 'staffHome');
const staffNav = lazy('staff.js', 'staffNav'), policyAdmin = lazy('policy_admin.js', 'policyAdmin');
const checksheet = lazy('checksheet.js', 'checksheet');
const anonymisedAdmin = lazy('anonymised_admin.js', 'anonymisedAdmin');

let signedIn = false;

async function checkSession() {
  try {
    await api('GET', '/api/v1/me/consents');
    signedIn = true;
  } catch {
    signedIn = false;
  }
}

function nav() {
  const links = signedIn
    ? [['#/home', 'home'], ['#/record', 'record'], ['#/consents', 'consents'], ['#/access', 'access'], ['#/apps', 'apps'], ['#/details', 'details'], ['#/mydata', 'mydata'], ['#/security', 'security']]
    : [['#/login', 'signin'], ['#/signup', 'signup']];
  const items = links.map(([href, key]) => h('a', { href }, t(key)));
  if (signedIn) {
    items.push(h('a', {
      href: '#/', id: 'signout',
      onclick: async () => {
        await api('POST', '/api/v1/logout').catch(() => {});
        signedIn = false;
      },
    }, t('signout')));
  }
  document.getElementById('nav').replaceChildren(...items);
  for (const a of document.querySelectorAll('[data-i18n]')) a.textContent = t(a.dataset.i18n);
  document.getElementById('lang').textContent = lang === 'ja' ? 'English' : '日本語';
}

const privateViews = { '#/home': home, '#/record': () => record(), '#/checkup-entry': checkupEntry, '#/consents': consents, '#/access': access, '#/apps': apps, '#/security': () => security(), '#/details': () => details() };

async function route() {
  const hash = location.hash || '#/';
  startView();
  nav();
  try {
    if (hash.startsWith('#/policy/')) return await policy(hash.slice(9));
    if (hash === '#/purposes') return await purposes();
    if (hash === '#/checksheet' || hash.startsWith('#/checksheet/')) return await checksheet(hash.slice(13));
    if (hash === '#/signup') {
      return await signup(() => { signedIn = true; location.hash = '#/home'; });
    }
    if (hash.startsWith('#/authorize?')) {
      // An app sent the person here: sign in first, then come back.
      if (!signedIn) {
        sessionStorage.setItem('after_signin', hash);
        location.hash = '#/login';
        return undefined;
      }
      return await authorize(hash.slice(12));
    }
    if (hash === '#/login') {
      return signin((notices) => {
        signedIn = true;
        location.hash = sessionStorage.getItem('after_signin') || '#/home';
        sessionStorage.removeItem('after_signin');
        if (notices.length) sessionStorage.setItem('notices', JSON.stringify(notices));
      });
    }
    if (hash === '#/staff/login') return await staffLogin(() => { location.hash = '#/staff'; });
    if (hash === '#/staff') return await staffHome();
    if (hash === '#/staff/policies') {
      await staffNav();
      return await policyAdmin();
    }
    if (hash === '#/staff/anonymised') {
      const me = await staffNav();
      return me ? await anonymisedAdmin(me.role) : undefined;
    }
    if (hash === '#/mydata' && signedIn) {
      return await mydata(() => {
        signedIn = false;
        nav();
        show(h('h1', {}, t('erase')), h('p', { class: 'ok', id: 'erased' }, t('erased')));
      });
    }
    if (hash.startsWith('#/record/')) {
      if (!signedIn) { location.hash = '#/login'; return undefined; }
      return await record(decodeURIComponent(hash.slice(9)));
    }
    if (privateViews[hash]) {
      if (!signedIn) { location.hash = '#/login'; return undefined; }
      return await privateViews[hash]();
    }
    return landing(signedIn);
  } catch (e) {
    if (e.status === 401) {
      signedIn = false;
      location.hash = hash.startsWith('#/staff') ? '#/staff/login' : '#/login';
      return undefined;
    }
    show(h('p', { class: 'error', role: 'alert' }, e.message));
  }
  return undefined;
}

document.getElementById('lang').addEventListener('click', () => { toggle(); route(); });
window.addEventListener('hashchange', route);
document.documentElement.lang = lang;
checkSession().then(route);
