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
  main.focus();
}

// Views load asynchronously: one that finishes after the person has moved
// on must not replace the page they moved to. route() starts each view; an
// async view takes view() before its first await and draws with what it
// returns, which does nothing once another view has started.
let current = 0;
export function startView() {
  current += 1;
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
