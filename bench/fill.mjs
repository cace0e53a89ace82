// Fills each bench person with PER more records, as a device's CSV exports
// of pulse readings (10,000 a file, the most one file may hold), imported
// through POST /api/v1/imports: for the Bulk export of 1,000,000 records
// (issue 6). Prints "records seconds".
// usage: node bench/fill.mjs URL TOKENS PER
import { readFileSync } from 'node:fs';

const [url, tokensFile, per] = process.argv.slice(2);
const tokens = readFileSync(tokensFile, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
const start = Date.UTC(2020, 0, 1);
let total = 0;
const t0 = performance.now();
for (const [p, token] of tokens.entries()) {
  for (let left = Number(per), file = 0; left > 0; file++) {
    const n = Math.min(left, 10000);
    left -= n;
    const rows = ['effective,pulse'];
    // Ten minutes apart, a second apart between persons: every file differs.
    for (let i = 0; i < n; i++)
      rows.push(`${new Date(start + (file * 10000 + i) * 600000 + p * 1000).toISOString()},${60 + (i % 40)}`);
    const r = await fetch(`${url}/api/v1/imports`, {
      method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body: `${rows.join('\n')}\n`,
    });
    if (r.status !== 201) throw new Error(`import ${r.status} ${await r.text()}`);
    total += n;
  }
}
console.log(`${total} ${((performance.now() - t0) / 1000).toFixed(1)}`);
