// The policy texts are kept as written (Markdown, hashed as shown); this
// draws the little of Markdown they use — headings, lists, paragraphs and
// **bold** — as elements, never as HTML.
import { h } from './dom.js';

function inline(s) {
  return s.split(/(\*\*[^*]+\*\*)/).filter(Boolean)
    .map((part) => (part.startsWith('**') && part.endsWith('**') ? h('strong', {}, part.slice(2, -2)) : part));
}

export function markdown(text) {
  const out = [];
  let list = null;
  for (const line of text.split('\n')) {
    const m = /^(#{1,3})\s+(.*)$/.exec(line);
    if (/^\s*[-*]\s+/.test(line)) {
      if (!list) out.push(list = h('ul'));
      list.append(h('li', {}, inline(line.replace(/^\s*[-*]\s+/, ''))));
      continue;
    }
    list = null;
    if (m) out.push(h(`h${m[1].length + 1}`, {}, inline(m[2])));
    else if (line.trim()) out.push(h('p', {}, inline(line)));
  }
  return h('div', { class: 'text' }, out);
}
