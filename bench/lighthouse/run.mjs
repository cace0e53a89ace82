// Lighthouse (mobile and desktop presets) on the portal: the landing page,
// and home signed in with 30 days of twice-daily blood pressures, each
// score beside its target (issue 21): performance >= 95 on a phone,
// accessibility 100, layout shift < 0.1, home's transfer <= 150 KB.
// Usage: PHR_BIN=build/phr node bench/lighthouse/run.mjs
import { execFileSync } from 'node:child_process';
import { startServer, call, signupAndLogin } from '../../tests/api/helpers.mjs';

const LIGHTHOUSE = new URL('node_modules/.bin/lighthouse', import.meta.url).pathname;
const CHROMIUM = process.env.PHR_CHROMIUM || '/usr/bin/chromium';

const srv = await startServer();
try {
  const me = await signupAndLogin(srv);
  const entry = (i) => ({ request: { method: 'POST', url: 'Observation' }, resource: { resourceType: 'Observation', status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
    effectiveDateTime: new Date(Date.now() - (i + 1) * 12 * 3600000).toISOString(),
    component: [[118 + (i % 17), '8480-6'], [76 + (i % 9), '8462-4']].map(([v, c]) => ({ code: { coding: [{ system: 'http://loinc.org', code: c }] },
      valueQuantity: { value: v, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } })) } });
  const r = await call(srv, 'POST', '/fhir', { token: me.token, body: { resourceType: 'Bundle', type: 'transaction', entry: Array.from({ length: 60 }, (_, i) => entry(i)) } });
  if (r.status !== 200) throw new Error(`setup: ${r.status} ${r.text}`);
  console.log('page (preset)                      performance  accessibility    CLS   transfer');
  for (const preset of ['mobile', 'desktop']) {
    for (const [name, path, signed] of [['landing', '/', false], ['home, 30 days', '/#/home', true]]) {
      const args = [`${srv.url}${path}`, '--output=json', '--quiet', `--chrome-path=${CHROMIUM}`,
        '--chrome-flags=--headless=new --no-sandbox', '--only-categories=performance,accessibility',
        ...(preset === 'desktop' ? ['--preset=desktop'] : []),
        ...(signed ? [`--extra-headers=${JSON.stringify({ Cookie: `phr_session=${me.token}` })}`] : [])];
      const out = JSON.parse(execFileSync(LIGHTHOUSE, args, { encoding: 'utf8', maxBuffer: 64 << 20 }));
      const perf = Math.round(out.categories.performance.score * 100), a11y = Math.round(out.categories.accessibility.score * 100);
      const cls = out.audits['cumulative-layout-shift'].numericValue, kb = out.audits['total-byte-weight'].numericValue / 1024;
      console.log(`${`${name} (${preset})`.padEnd(34)} ${String(perf).padStart(5)} (${preset === 'mobile' ? '>= 95' : '    '}) ${String(a11y).padStart(5)} (100)` +
        ` ${cls.toFixed(3)} (<0.1) ${kb.toFixed(0).padStart(5)} KB${signed ? ` (${(kb / 150).toFixed(2)} of 150 KB)` : ''}`);
    }
  }
} finally {
  await srv.stop();
}
