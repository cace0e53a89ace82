// The JSON and FHIR APIs, with the session cookie the sign-in sets. Errors
// become exceptions carrying the server's own explanation.
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export async function api(method, path, body, headers = {}) {
  const opts = { method, headers: { ...headers }, credentials: 'same-origin' };
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
  if (!res.ok) {
    const detail = data?.detail || data?.issue?.[0]?.diagnostics || `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, detail);
  }
  return data;
}
