// The person's data: the disclosure archive, importing files (one after
// the other, with progress and each file's outcome), and erasure in two
// steps with the warning in plain words.
import { h, show, message } from './dom.js';
import { api } from './api.js';
import { t, pick } from './i18n.js';
import { day } from './time.js';

export function mydata(onErased) {
  const file = h('input', {
    id: 'import-file', type: 'file', multiple: true,
    accept: '.xml,.json,.txt,.csv,.zip,.sphr,.phr,.ndjson,application/xml,application/fhir+json,text/plain,text/csv,application/zip,application/x-ndjson',
  });
  const progress = h('progress', { id: 'import-progress', max: 1, value: 0, hidden: true, 'aria-label': t('import_progress') });
  const importOut = h('ul', { id: 'import-results', 'aria-live': 'polite' });
  const eraseArea = h('div', { id: 'erase-area' });
  const originals = h('div', { id: 'originals' });
  // Every imported file, to download exactly as it came (a CDA byte for byte).
  const EXT = { 'application/xml': 'xml', 'application/fhir+json': 'json', 'application/json': 'json', 'text/plain': 'txt', 'text/csv': 'csv', 'application/zip': 'zip' };
  const listOriginals = async () => {
    try {
      const docs = ((await api('GET', '/fhir/DocumentReference?_sort=-date&_count=100')).entry || []).map((e) => e.resource);
      originals.replaceChildren(docs.length ? h('table', {},
        h('thead', {}, h('tr', {}, [t('document'), t('imported_on'), t('size')].map((c) => h('th', {}, c)),
          h('th', {}, h('span', { class: 'visually-hidden' }, t('download'))))),
        h('tbody', {}, docs.map((d) => {
          const a = d.content[0].attachment;
          const ext = EXT[(a.contentType || '').split(';')[0]] || 'bin';
          return h('tr', {}, h('td', {}, a.title || d.type?.text || ''), h('td', {}, day(d.date)),
            h('td', {}, `${Math.max(1, Math.round(a.size / 1024))} KB`),
            h('td', {}, h('a', { href: `/api/v1/me/documents/${d.id}/original`, download: `${d.id}.${ext}`, class: 'original' }, t('original'))));
        }))) : h('p', {}, t('none')));
    } catch (e) {
      originals.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message));
    }
  };
  // The server tells the formats apart by content; the type only has to be one it takes.
  const typeOf = (name) => (name.endsWith('.json') ? 'application/fhir+json' : name.endsWith('.txt') ? 'text/plain'
    : name.endsWith('.csv') ? 'text/csv' : name.endsWith('.zip') || name.endsWith('.sphr') ? 'application/zip'
    : name.endsWith('.phr') || name.endsWith('.ndjson') ? 'application/x-ndjson' : 'application/xml');
  const outcome = (r) => {
    if (r.duplicate) return t('already');
    if (r.kind === 'jahis-tc') return `${t('imported')}: ${r.medications + r.otc} ${t('medicines')} (${r.date})`;
    return `${t('imported')}: ${r.records} ${t('records')} (${r.date})`;
  };
  const doImport = async () => {
    const files = [...file.files];
    if (!files.length) return;
    progress.max = files.length;
    progress.value = 0;
    progress.hidden = false;
    importOut.replaceChildren();
    for (const f of files) {
      let line;
      try {
        const r = await api('POST', '/api/v1/imports', await f.arrayBuffer(), { 'content-type': typeOf(f.name.toLowerCase()) });
        line = h('li', { class: 'ok' }, `${f.name}: ${outcome(r)}`);
      } catch (e) {
        // Where a file breaks the format, the detail names the line or rule
        // (in English, as the format's specification does).
        line = h('li', { class: 'error' }, `${f.name}: ${t('refused')} — ${e.message}`,
          e.detail && e.status === 422 ? [' ', h('span', { lang: 'en', class: 'detail' }, `(${e.detail})`)] : []);
      }
      importOut.append(line);
      progress.value += 1;
    }
    await listOriginals();
  };
  const preview = async () => {
    try {
      const p = await api('POST', '/api/v1/me/erasures', { scope: 'account' });
      const pw = h('input', { id: 'erase-password', type: 'password', autocomplete: 'current-password' });
      const out = h('p', { id: 'erase-message' });
      eraseArea.replaceChildren(
        h('div', { class: 'warning', role: 'alert' }, h('p', {}, pick(p.warning)),
          h('p', {}, h('a', { href: p.export_first, download: 'phr-disclosure.json' }, t('export')))),
        h('h3', {}, t('will_erase')),
        h('ul', { id: 'will-erase' }, h('li', {}, `${t('records')}: ${p.will_erase.records} (${p.will_erase.versions} ${t('versions')})`),
          h('li', {}, `${t('consents')}: ${p.will_erase.consents}`)),
        h('h3', {}, t('will_keep')),
        h('ul', {}, h('li', {}, `${t('audit_entries')}: ${p.will_keep.audit_entries}`),
          h('li', {}, `${t('provision_records')}: ${p.will_keep.provision_records}`)),
        h('label', { for: 'erase-password' }, t('password')), pw,
        h('p', {}, h('button', {
          type: 'button', class: 'danger', id: 'erase-confirm',
          onclick: async () => {
            try {
              await api('POST', p.confirm.href, { password: pw.value });
              onErased();
            } catch (e) {
              message(out, e.message);
            }
          },
        }, t('erase_confirm'))),
        out);
    } catch (e) {
      eraseArea.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message));
    }
  };
  show(
    h('h1', {}, t('mydata')),
    h('h2', {}, t('export')),
    h('p', {}, t('export_explain')),
    h('p', {}, h('a', { href: '/api/v1/me/disclosure', download: 'phr-disclosure.json', id: 'export-link' }, t('download'))),
    h('p', {}, h('a', { href: '/api/v1/me/export/observations.csv', download: 'phr-observations.csv', id: 'export-csv' }, 'CSV'),
      ' ・ ', h('a', { href: '/api/v1/me/export/fhir', id: 'export-fhir', download: 'phr-fhir-bundle.json' }, 'FHIR R4 Bundle'),
      ' ・ ', h('a', { href: '/api/v1/me/export/okusuri.txt', id: 'export-okusuri', download: 'okusuri-techo.txt' }, t('okusuri')),
      ' ・ ', h('a', { href: '/api/v1/me/export/sphr.zip', id: 'export-sphr', download: 'phr-package.sphr.zip' }, t('sphr')),
      ' ・ ', h('a', { href: '/api/v1/me/export/record.phr', id: 'export-phr', download: 'phr-record.phr' }, t('phr_file'))),
    h('h2', {}, t('import')),
    h('label', { for: 'import-file' }, t('import_files')), file,
    h('p', {}, h('button', { type: 'button', id: 'import-submit', onclick: doImport }, t('upload'))),
    progress, importOut,
    h('h3', {}, t('originals')), originals,
    h('h2', {}, t('erase')),
    h('p', {}, h('button', { type: 'button', class: 'danger', id: 'erase-preview', onclick: preview }, t('erase_preview'))),
    eraseArea,
  );
  listOriginals();
}
