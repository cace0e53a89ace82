// Several instances on one database (issue 18 item 5, design invariants 1-2):
// three `phr serve` on one PostgreSQL store. The writers of the instances
// take turns (an advisory lock held by each batch), so that the handling
// history stays one unbroken chain, a withdrawal committed on one instance
// stops provision on another from its commit on, and a killed instance loses
// nothing it acknowledged. SQLite is one file with one writer: these run on
// PostgreSQL only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ENGINE, startServer, call, signupAndLogin, bloodPressure, sql, phr, decide, PASSWORD, clientToken,
} from './helpers.mjs';

const skip = ENGINE !== 'postgresql' && 'one SQLite file has one writer: several instances are a PostgreSQL deployment';
let instances = [];
const data = () => instances[0].data;

before(async () => {
  if (skip) return;
  const first = await startServer();
  instances = [first, await startServer({ data: first.data }), await startServer({ data: first.data })];
});
after(async () => {
  for (const s of instances) await s.stop({ keep: true });
});

const run = (...args) => {
  const r = phr([...args, '--data', data(), '--log-level', 'warn']);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout ? JSON.parse(r.stdout) : null;
};

test('R2.3 load spread over three instances: every create acknowledged is there once, the chain is one', { skip }, async () => {
  const me = await signupAndLogin(instances[0]);
  const ids = [];
  await Promise.all(Array.from({ length: 9 }, async (_, c) => {
    const srv = instances[c % 3];
    for (let i = 0; i < 25; i++) {
      const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(100 + i, 70) });
      assert.equal(r.status, 201, r.text);
      ids.push(r.body.id);
    }
  }));
  assert.equal(new Set(ids).size, 225);
  assert.equal(sql(data(), `SELECT count(*) FROM records WHERE person_id = '${me.personId}'`), '225');
  // One chain: consecutive numbers, each entry once, whichever instance wrote it.
  assert.equal(sql(data(), 'SELECT count(*) = max(seq) AND min(seq) = 1 FROM audit'), 't');
  const v = phr(['audit', 'verify', '--data', data(), '--records']);
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('R3.6 R3.4 a withdrawal on one instance stops provision on another from its commit on', { skip }, async () => {
  run('recipient', 'group', '--group', 'demo-partners', '--name', 'Demo Health Partners');
  const clinic = run('recipient', 'add', '--name', 'Clinic M', '--address', '1-1 Chiyoda, Tokyo', '--country', 'JP',
    '--contact', 'desk@example.jp');
  run('recipient', 'agreement', '--recipient', clinic.id, '--signed', '2026-11-01', '--agreement-version', 'DPA-1');
  run('recipient', 'join', '--group', 'demo-partners', '--recipient', clinic.id);
  const t = await clientToken(instances[1], clinic.client_id, clinic.client_secret);
  assert.equal(t.status, 200, t.text);
  const person = await signupAndLogin(instances[0]);
  assert.equal((await decide(instances[0], person.token, [{ purpose: 'provision-partners', decision: 'grant' }])).status, 201);
  assert.equal((await call(instances[0], 'POST', '/fhir/Observation', { token: person.token, body: bloodPressure(125, 82) })).status, 201);

  // The recipient reads on instances 1 and 2 as fast as it can while the
  // person withdraws on instance 0.
  let withdrawn = false;
  const reads = { before: 0, after: 0 };
  const reader = async (srv) => {
    while (!withdrawn || reads.after < 20) {
      const r = await call(srv, 'GET', `/fhir/Observation?patient=${person.personId}`, { token: t.body.access_token });
      assert.ok(r.status === 200 || r.status === 404 || r.status === 400, r.text);
      if (withdrawn) reads.after++;
      else reads.before++;
    }
  };
  const readers = [reader(instances[1]), reader(instances[2])];
  await new Promise((resolve) => setTimeout(resolve, 150));
  const w = await decide(instances[0], person.token, [{ purpose: 'provision-partners', decision: 'withdraw' }]);
  assert.equal(w.status, 201, w.text);
  withdrawn = true;
  await Promise.all(readers);
  assert.ok(reads.before > 0 && reads.after >= 20);

  // In commit order (the chain's): no read allowed, and no provision made,
  // after the withdrawal's entry.
  const withdrawal = Number(sql(data(), `SELECT seq FROM audit WHERE subject = '${person.personId}'`
    + " AND action = 'consent.record' AND records LIKE '%withdraw%' ORDER BY seq DESC LIMIT 1"));
  assert.ok(withdrawal > 0);
  const late = sql(data(), `SELECT count(*) FROM audit WHERE subject = '${person.personId}'`
    + ` AND actor = 'recipient:${clinic.id}' AND result = 'allow' AND seq > ${withdrawal}`);
  assert.equal(late, '0', 'nothing provided after the withdrawal committed');
  const allowed = Number(sql(data(), `SELECT count(*) FROM audit WHERE subject = '${person.personId}'`
    + ` AND actor = 'recipient:${clinic.id}' AND result = 'allow'`));
  assert.ok(allowed > 0, 'the race was real: reads were allowed before');
  assert.equal(Number(sql(data(), `SELECT count(*) FROM provisions WHERE person_id = '${person.personId}'`)), allowed,
    'each allowed read has its provision record');
});

test('R2.3 kill -9 one instance under load: every write any instance acknowledged is there', { skip }, async () => {
  const me = await signupAndLogin(instances[0]);
  const acknowledged = [];
  let killed = false;
  const client = async (srv) => {
    for (;;) {
      let r;
      try {
        r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(112, 72) });
      } catch {
        return; // that instance is gone
      }
      if (r.status === 201) acknowledged.push(r.body.id);
      if (killed && acknowledged.length > 240) return;
    }
  };
  const clients = [0, 1, 2, 0, 1, 2].map((i) => client(instances[i]));
  while (acknowledged.length < 100) await new Promise((resolve) => setTimeout(resolve, 5));
  killed = true;
  await instances[2].kill();
  await Promise.all(clients);
  instances[2] = await startServer({ data: data() });
  const login = await call(instances[2], 'POST', '/api/v1/login', { body: { login: me.login, password: PASSWORD } });
  assert.equal(login.status, 200, login.text);
  const stored = new Set(sql(data(), `SELECT id FROM records WHERE person_id = '${me.personId}'`).split('\n'));
  for (const id of acknowledged) assert.ok(stored.has(id), `acknowledged ${id} is gone`);
  const v = phr(['audit', 'verify', '--data', data(), '--records']);
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('R2.3 an instance whose database connections are cut answers 503 for what ran, nothing acknowledged, and recovers', { skip }, async () => {
  const srv = instances[0];
  const me = await signupAndLogin(srv);
  assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(120, 80) })).status, 201);
  // Every server connection to the store is cut, as a failover or a
  // restarted database would.
  sql(data(), 'SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()'
    + ' AND pid <> pg_backend_pid()');
  const answers = [];
  for (let i = 0; i < 6; i++) {
    const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(130 + i, 85) });
    assert.ok(r.status === 201 || r.status === 503, `${r.status} ${r.text}`);
    if (r.status === 503) {
      assert.equal(r.body.issue[0].details.coding[0].code, 'unavailable');
      assert.equal(r.headers.get('retry-after'), '1', 'nothing was done: the client may send it again');
    }
    answers.push(r.status);
  }
  assert.equal(answers.at(-1), 201, `recovered: ${answers.join(' ')}`);
  const created = answers.filter((s) => s === 201).length;
  assert.equal(sql(data(), `SELECT count(*) FROM records WHERE person_id = '${me.personId}'`), String(1 + created),
    'what was refused left nothing; what was acknowledged is there');
  assert.ok(srv.logs.some((l) => l.includes('"store.postgresql"')), 'the cut is in the log');
});
