// Building the page from data: elements and text nodes only, never HTML
// strings, so that nothing from the server or the user becomes markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Replaces the page's content and moves focus to it, for keyboard and
// screen-reader users.
export function show(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...children.flat(Infinity));
  // The tab's title names the view; focus goes to it without scrolling the
  // header away.
  const heading = main.querySelector('h1')?.textContent;
  document.title = heading ? `${heading} | PHR` : 'PHR';
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

// Views load asynchronously: one that finishes after the person has moved
// on must not replace the page they moved to. route() starts each view; an
// async view takes view() before its first await and draws with what it
// returns, which does nothing once another view has started.
let current = 0;
export function startView() {
  current += 1;
}
// Which view is current: a view whose module is still loading checks it
// before it starts (app.js), as a drawn view checks it before it draws.
export function viewToken() {
  return current;
}
export function view() {
  const mine = current;
  return (...children) => {
    if (mine === current) show(...children);
  };
}

export function message(el, text, ok = false) {
  el.replaceChildren(text || '');
  el.className = ok ? 'ok' : 'error';
  el.setAttribute('role', ok ? 'status' : 'alert');
}

// A refusal on a staff page: its message, and the rule's detail beside it
// (in English, marked so), which staff need to put the change right.
export function refusal(el, e) {
  message(el, e.message);
  if (e.detail && e.detail !== e.message) el.append(' ', h('span', { lang: 'en', class: 'detail' }, `(${e.detail})`));
}

// Asks before an act with consequences: a modal dialog naming them, with
// the act and a way out (Escape too). Resolves true only if the person
// chose the act. The dialog is gone afterwards, focus back where it was.
export function confirmAct({ title, consequences, act, cancel, id = 'confirm' }) {
  return new Promise((resolve) => {
    const back = document.activeElement;
    const heading = `${id}-title`;
    const dialog = h('dialog', { id, 'aria-labelledby': heading },
      h('h2', { id: heading }, title),
      h('ul', {}, consequences.map((c) => h('li', {}, c))));
    const done = (yes) => {
      dialog.close();
      dialog.remove();
      back?.focus?.();
      resolve(yes);
    };
    const no = h('button', { type: 'button', class: 'secondary', id: `${id}-cancel`, onclick: () => done(false) }, cancel);
    dialog.append(h('p', { class: 'actions' }, no, h('button', { type: 'button', class: 'danger', id: `${id}-act`, onclick: () => done(true) }, act)));
    dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
