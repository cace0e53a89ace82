// Creates N persons on a running phr and prints one session token a line.
// usage: node bench/setup.mjs URL N > tokens.txt
const [url, n] = process.argv.slice(2);
const password = 'benchmark passphrase';
for (let i = 0; i < Number(n); i++) {
  const login = `bench-${i}-${Date.now()}@example.jp`;
  const headers = { 'content-type': 'application/json' };
  const body = JSON.stringify({ login, password });
  const s = await fetch(`${url}/api/v1/signup`, { method: 'POST', headers, body });
  if (s.status !== 201) throw new Error(`signup ${s.status}`);
  const l = await fetch(`${url}/api/v1/login`, { method: 'POST', headers, body });
  if (l.status !== 200) throw new Error(`login ${l.status}`);
  console.log((await l.json()).token);
}
