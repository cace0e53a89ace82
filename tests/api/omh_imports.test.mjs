// Open mHealth data points (R4.2): what phone apps export, read into the
// same checked vital signs as a device's CSV — blood pressure, weight,
// height, heart rate, temperature, glucose (mg/dL or mmol/L), SpO2 and a
// day's steps — alone or inside an SPHR package; the original kept; an
// unknown schema or an implausible value refuses the whole file, and
// nothing is stored. Synthetic values only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, call, signupAndLogin, recordCount, importFile, searchAs } from './helpers.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const point = (name, body, version = '3.1') => ({
  header: { id: `omh-${name}-${Math.random().toString(16).slice(2)}`, creation_date_time: '2026-11-20T08:00:00+09:00',
    schema_id: { namespace: 'omh', name, version } },
  body,
});
const at = (t) => ({ effective_time_frame: { date_time: t } });
const POINTS = [
  point('blood-pressure', { systolic_blood_pressure: { value: 128, unit: 'mmHg' }, diastolic_blood_pressure: { value: 82, unit: 'mmHg' }, ...at('2026-11-20T07:30:00+09:00') }),
  point('body-weight', { body_weight: { value: 61.2, unit: 'kg' }, ...at('2026-11-20T07:35:00+09:00') }),
  point('step-count', { step_count: 8123, effective_time_frame: { time_interval: { start_date_time: '2026-11-19T00:00:00+09:00', end_date_time: '2026-11-20T00:00:00+09:00' } } }, '1.0'),
  point('blood-glucose', { blood_glucose: { value: 5.4, unit: 'mmol/L' }, ...at('2026-11-20T07:40:00+09:00') }),
  point('body-temperature', { body_temperature: { value: 36.6, unit: 'C' }, ...at('2026-11-20T07:45:00+09:00') }),
];

test('R4.2 Open mHealth data points become checked vital signs, each where it belongs; the original comes back as it came', async () => {
  const me = await signupAndLogin(srv);
  const body = JSON.stringify(POINTS);
  const r = await importFile(srv, me, body, 'application/json');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.kind, 'omh');
  assert.equal(r.body.vital_signs, 5);
  const bp = (await searchAs(srv, me, 'Observation', '?code=http://loinc.org|85354-9'))[0];
  assert.deepEqual(bp.component.map((c) => c.valueQuantity.value), [128, 82]);
  assert.deepEqual(bp.meta.tag.map((t) => t.code), ['3', 'device'], 'R1.1: self-measured data, from a device');
  const weight = (await searchAs(srv, me, 'Observation', '?code=http://loinc.org|29463-7'))[0];
  assert.deepEqual(weight.valueQuantity, { value: 61.2, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' });
  const steps = (await searchAs(srv, me, 'Observation', '?code=http://loinc.org|55423-8'))[0];
  assert.equal(steps.valueQuantity.value, 8123);
  assert.deepEqual(steps.effectivePeriod, { start: '2026-11-19T00:00:00+09:00', end: '2026-11-20T00:00:00+09:00' });
  const glucose = (await searchAs(srv, me, 'Observation', '?code=http://loinc.org|15074-8'))[0];
  assert.equal(glucose.valueQuantity.code, 'mmol/L', 'glucose in mmol/L is its own LOINC code');
  const temp = (await searchAs(srv, me, 'Observation', '?code=http://loinc.org|8310-5'))[0];
  assert.deepEqual([temp.valueQuantity.value, temp.valueQuantity.code], [36.6, 'Cel']);
  const orig = await fetch(`${srv.url}/api/v1/me/documents/${r.body.document}/original`, { headers: { authorization: `Bearer ${me.token}` } });
  assert.match(orig.headers.get('content-type'), /^application\/json/);
  assert.equal(await orig.text(), body);
  assert.equal((await importFile(srv, me, body, 'application/json')).body.duplicate, true);
  // One data point alone, not in an array.
  const one = await importFile(srv, me, JSON.stringify(point('heart-rate', { heart_rate: { value: 64, unit: 'beats/min' }, ...at('2026-11-21T07:00:00+09:00') })), 'application/json');
  assert.equal(one.status, 201, one.text);
  assert.equal(one.body.vital_signs, 1);
});

test('R2.9 R4.2 an unknown schema, a missing value, an implausible one or a wrong unit refuses the file with its data point; nothing is stored', async () => {
  const me = await signupAndLogin(srv);
  const bad = [
    [[POINTS[0], point('sleep-duration', { sleep_duration: { value: 7, unit: 'h' }, ...at('2026-11-20T07:00:00+09:00') })], /data point 1: schema omh:sleep-duration is not one the service records/],
    [[point('body-weight', { ...at('2026-11-20T07:00:00+09:00') })], /data point 0: body_weight is missing/],
    [[point('blood-pressure', { systolic_blood_pressure: { value: 20, unit: 'mmHg' }, diastolic_blood_pressure: { value: 10, unit: 'mmHg' }, ...at('2026-11-20T07:00:00+09:00') })], /data point 0: /],
    [[point('body-weight', { body_weight: { value: 61, unit: 'stone' }, ...at('2026-11-20T07:00:00+09:00') })], /data point 0: .*unit/],
    [[point('body-weight', { body_weight: { value: 61, unit: 'kg' } })], /data point 0: effective_time_frame/],
    [[], /no data point/],
  ];
  for (const [points, why] of bad) {
    const r = await importFile(srv, me, JSON.stringify(points), 'application/json');
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.detail, why);
  }
  assert.equal(recordCount(srv, me), 0);
});
