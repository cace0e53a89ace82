// Creates N persons on a running phr, each consenting to the required
// purposes and holding one blood-pressure record, and prints
// "token record-id" a line.
// usage: node bench/setup.mjs URL N > tokens.txt
const [url, n] = process.argv.slice(2);
const password = 'benchmark passphrase';
const json = { 'content-type': 'application/json' };
const policies = await (await fetch(`${url}/api/v1/policies`)).json();
const shown = policies.documents.map((d) => d.sha256);
const decisions = policies.purposes.filter((p) => p.required).map((p) => ({ purpose: p.code, decision: 'grant' }));
const record = JSON.stringify({
  resourceType: 'Observation', status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  effectiveDateTime: '2026-11-01T07:00:00+09:00',
  valueQuantity: { value: 64, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});
for (let i = 0; i < Number(n); i++) {
  const login = `bench-${i}-${Date.now()}@example.jp`;
  const body = JSON.stringify({ login, password });
  const s = await fetch(`${url}/api/v1/signup`, { method: 'POST', headers: json, body });
  if (s.status !== 201) throw new Error(`signup ${s.status}`);
  const l = await fetch(`${url}/api/v1/login`, { method: 'POST', headers: json, body });
  if (l.status !== 200) throw new Error(`login ${l.status}`);
  const { token } = await l.json();
  const auth = { ...json, authorization: `Bearer ${token}` };
  const c = await fetch(`${url}/api/v1/me/consents`, { method: 'POST', headers: auth, body: JSON.stringify({ decisions, shown }) });
  if (c.status !== 201) throw new Error(`consent ${c.status}`);
  const r = await fetch(`${url}/fhir/Observation`, { method: 'POST', headers: { ...auth, 'content-type': 'application/fhir+json' }, body: record });
  if (r.status !== 201) throw new Error(`record ${r.status}`);
  console.log(`${token} ${(await r.json()).id}`);
}
