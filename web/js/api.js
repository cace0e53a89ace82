// The JSON and FHIR APIs, with the session cookie the sign-in sets. Errors
// become exceptions carrying the server's stable error code (docs/errors.md)
// and, as their message, its title in the portal's language with what to do
// next (errors.js); the detail of this occurrence is the developers', kept
// apart (in English, naming what the API names).
import { lang } from './i18n.js';
import { messageOf } from './errors.js';

export class ApiError extends Error {
  constructor(status, { code, title, detail, field }) {
    super(messageOf(code, title || detail, lang));
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.field = field;
  }
}

// problem+json (/api) or an OperationOutcome (/fhir), read alike.
function errorOf(res, data) {
  const issue = data?.issue?.[0];
  const code = data?.code || issue?.details?.coding?.find((c) => c.system === 'urn:phr:error')?.code;
  const title = data?.title || issue?.details?.text || `${res.status} ${res.statusText}`;
  // The OperationOutcome's diagnostics end with the developer's hint, which
  // names routes: a person is not shown it.
  const detail = data?.detail ?? issue?.diagnostics?.replace(/ \([^()]*(GET|POST|PUT|DELETE) \/[^()]*\)$/, '');
  return { code, title, detail, field: data?.field };
}

export async function api(method, path, body, headers = {}) {
  const opts = { method, headers: { 'accept-language': lang, ...headers }, credentials: 'same-origin' };
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer) opts.body = body;
    else {
      opts.body = JSON.stringify(body);
      opts.headers['content-type'] = path.startsWith('/fhir') ? 'application/fhir+json' : 'application/json';
    }
  }
  const res = await fetch(path, opts);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) throw new ApiError(res.status, errorOf(res, data));
  return data;
}
