// Bulk Data export for the benchmark: every bench person consents to the
// provision purpose, a recipient's client starts an export of their
// Observations, waits while it is prepared (the time on stderr); prints
// "FILE_URL ACCESS_TOKEN" for the timed fetch, which
// curl makes (node's fetch, on the same two cores, measured as the slower
// end: 62 against 110 MB/s for the same file).
// usage: node bench/bulk.mjs URL TOKENS CLIENT_ID CLIENT_SECRET
import { readFileSync } from 'node:fs';

const [url, tokensFile, clientId, secret] = process.argv.slice(2);
const json = { 'content-type': 'application/json' };
const policies = await (await fetch(`${url}/api/v1/policies`)).json();
const shown = policies.documents.map((d) => d.sha256);
for (const line of readFileSync(tokensFile, 'utf8').trim().split('\n')) {
  const token = line.split(' ')[0];
  const r = await fetch(`${url}/api/v1/me/consents`, {
    method: 'POST', headers: { ...json, authorization: `Bearer ${token}` },
    body: JSON.stringify({ decisions: [{ purpose: 'provision-partners', decision: 'grant' }], shown }),
  });
  if (r.status !== 201) throw new Error(`consent ${r.status} ${await r.text()}`);
}
const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope: 'system/Observation.rs' });
const t = await (await fetch(`${url}/api/v1/token`, {
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(),
})).json();
const auth = { authorization: `Bearer ${t.access_token}` };
const k = await fetch(`${url}/fhir/$export?_type=Observation`, { headers: { ...auth, prefer: 'respond-async', accept: 'application/fhir+json' } });
if (k.status !== 202) throw new Error(`kick-off ${k.status} ${await k.text()}`);
// The export is prepared (counted) first: the status is 202 until then.
const t0 = Date.now();
let status;
while ((status = await fetch(k.headers.get('content-location'), { headers: auth })).status === 202)
  await new Promise((resolve) => setTimeout(resolve, 100));
const manifest = await status.json();
console.error(`bulk: prepared in ${Date.now() - t0} ms, ${manifest.output[0].count} Observations counted`);
console.log(`${manifest.output[0].url} ${t.access_token}`);
