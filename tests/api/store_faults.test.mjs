// Store faults (issue 18 item 7, issue 17 item 8; design invariants 1-2):
// the writer's connection is wrapped by the fault driver (db/fault.c),
// which fails its Nth call — a transaction step or a statement, the
// COMMIT included — after the test writes the plan. For a create, an
// import, a consent decision and an erasure, every N is tried until the
// operation needs fewer calls than N: each answer is either a success that
// is there (and still there after a restart) or a refusal after which
// nothing of the operation is there. The chain and every record verify at
// the end. On both engines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startServer, call, signupAndLogin, bloodPressure, sql, phr, newDataDir, storeLocation, importFile, decide,
  uniqueLogin, PASSWORD,
} from './helpers.mjs';

const CDA = readFileSync(new URL('../fixtures/tokutei-synthetic.xml', import.meta.url), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'phr-faults-'));
const plan = join(scratch, 'plan');
let dirs, srv;
const acknowledged = [];

before(async () => {
  dirs = newDataDir();
  srv = await startServer({ data: dirs.data, args: ['--store', `fault:${plan}:${storeLocation(dirs.data)}`] });
});
after(async () => {
  await srv?.stop({ keep: true });
  rmSync(scratch, { recursive: true, force: true });
});

const count = (table, person) => Number(sql(dirs.data, `SELECT count(*) FROM ${table} WHERE person_id = '${person}'`));
const audited = (person, action) => Number(sql(dirs.data,
  `SELECT count(*) FROM audit WHERE subject = '${person}' AND action = '${action}' AND result = 'allow'`));

// Arms the Nth call; after the operation, whether it fired.
function arm(n, kind) {
  rmSync(`${plan}.fired`, { force: true });
  writeFileSync(plan, `${n} ${kind}`);
}
function fired() {
  const yes = existsSync(`${plan}.fired`);
  rmSync(plan, { force: true });
  rmSync(`${plan}.fired`, { force: true });
  return yes;
}

// Runs op over every N; op returns true when its answer was a success.
// check(ok) asserts the store holds all of it or none of it.
async function everyN(kind, setup, op, check) {
  let n = 1;
  for (;; n++) {
    const ctx = await setup();
    arm(n, kind);
    const ok = await op(ctx);
    const hit = fired();
    check(ctx, ok, hit);
    if (!hit) break;
  }
  return n;
}

for (const kind of ['io', 'lost', 'busy']) {
  test(`R1.1 R2.3 a create under a store fault (${kind}) at every call: 201 and there, or refused and nothing`, async () => {
    const n = await everyN(kind, () => signupAndLogin(srv, uniqueLogin('f-create')),
      async (me) => {
        const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(131, 84) });
        assert.ok(r.status === 201 || r.status === 503, `${r.status} ${r.text}`);
        if (r.status === 201) acknowledged.push(r.body.id);
        return r.status === 201;
      },
      (me, ok, hit) => {
        if (!hit) assert.ok(ok, 'without a fault it succeeds');
        assert.equal(count('records', me.personId), ok ? 1 : 0);
        assert.equal(audited(me.personId, 'record.create'), ok ? 1 : 0, 'its audit entry commits with it, or not at all');
      });
    assert.ok(n > 5, `a create made ${n - 1} store calls`);
  });
}

test('R4.2 an import under a store fault at every call: every result and the document, or nothing', async () => {
  await everyN('io', () => signupAndLogin(srv, uniqueLogin('f-import')),
    async (me) => {
      const r = await importFile(srv, me, CDA, 'application/xml');
      assert.ok(r.status === 201 || r.status === 503, `${r.status} ${r.text}`);
      return r.status === 201;
    },
    (me, ok) => {
      const records = count('records', me.personId);
      assert.ok(ok ? records > 1 : records === 0, `${records} records after ${ok ? 'success' : 'refusal'}`);
      assert.equal(Number(sql(dirs.data, `SELECT count(*) FROM records WHERE person_id = '${me.personId}'`
        + " AND resource_type = 'DocumentReference'")), ok ? 1 : 0);
    });
});

test('R3.6 a consent decision under a store fault at every call: in the ledger and its state, or in neither', async () => {
  await everyN('io', () => signupAndLogin(srv, uniqueLogin('f-consent')),
    async (me) => {
      const r = await decide(srv, me.token, [{ purpose: 'statistics', decision: 'grant' }]);
      assert.ok(r.status === 201 || r.status === 503, `${r.status} ${r.text}`);
      return r.status === 201;
    },
    (me, ok) => {
      assert.equal(Number(sql(dirs.data, `SELECT count(*) FROM consents WHERE person_id = '${me.personId}'`
        + " AND purpose = 'statistics'")), ok ? 1 : 0);
      assert.equal(Number(sql(dirs.data, `SELECT count(*) FROM consent_state WHERE person_id = '${me.personId}'`
        + " AND purpose = 'statistics'")), ok ? 1 : 0);
    });
});

test('R3.10 an erasure under a store fault at every call: done, or not begun, or finished on restart — never half', async () => {
  const unfinished = [];
  await everyN('io', async () => {
    const me = await signupAndLogin(srv, uniqueLogin('f-erase'));
    assert.equal((await call(srv, 'POST', '/fhir/Observation', { token: me.token, body: bloodPressure(150, 95) })).status, 201);
    const p = await call(srv, 'POST', '/api/v1/me/erasures', { token: me.token, body: { scope: 'account' } });
    assert.equal(p.status, 201, p.text);
    return { me, id: p.body.id };
  },
  async ({ me, id }) => {
    const r = await call(srv, 'POST', `/api/v1/me/erasures/${id}/confirm`, { token: me.token, body: { password: PASSWORD } });
    assert.ok([200, 503].includes(r.status), `${r.status} ${r.text}`);
    return r.status === 200;
  },
  ({ me, id }, ok) => {
    const status = sql(dirs.data, `SELECT status FROM erasures WHERE id = '${id}'`);
    if (ok) assert.equal(status, 'done');
    if (status === 'requested') assert.equal(count('records', me.personId), 1, 'not begun: everything is there');
    if (status === 'erasing') unfinished.push({ me, id });
  });
  // What a crash mid-erasure leaves, the next start finishes.
  await srv.stop({ keep: true });
  srv = await startServer({ data: dirs.data });
  for (const { me, id } of unfinished) {
    assert.equal(sql(dirs.data, `SELECT status FROM erasures WHERE id = '${id}'`), 'done');
    assert.equal(count('records', me.personId), 0);
    assert.equal(sql(dirs.data, `SELECT count(*) FROM data_keys WHERE person_id = '${me.personId}'`, 'keys.db'), '0');
  }
});

test('R2.3 R3.12 after every fault: each acknowledged record is there, the chain and every record verify', async () => {
  await srv.stop({ keep: true });
  srv = await startServer({ data: dirs.data });
  const login = await call(srv, 'POST', '/api/v1/login', { body: { login: 'nobody@example.jp', password: PASSWORD } });
  assert.equal(login.status, 401);
  for (const id of acknowledged) {
    assert.equal(sql(dirs.data, `SELECT count(*) FROM records WHERE id = '${id}' AND current = 1`), '1', id);
  }
  const v = phr(['audit', 'verify', '--data', dirs.data, '--records']);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /intact/);
});
