// Retention (R3.11) and service termination (R4.5): the rules applied as of
// an injected time, a dry run that equals the real run, notices shown at
// sign-in and handed to the notice hook, idempotent runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, sql, phr, PASSWORD, uniqueLogin } from './helpers.mjs';

function retention(data, args) {
  const r = phr(['retention', 'run', '--data', data, '--log-level', 'warn', ...args]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// The same plan, whichever way it was asked for. The running server adds
// its request counts to the store every second, so the count of old rate
// rows may grow between the two runs; everything else must be equal.
function same(dry, real) {
  assert.equal(dry.dry_run, true);
  assert.equal(real.dry_run, false);
  const plan = (p) => ({ ...p, dry_run: null, prune: { ...p.prune, rates: null } });
  assert.deepEqual(plan(dry), plan(real));
  assert.ok(real.prune.rates >= dry.prune.rates);
}

test('R3.11 inactive persons are told, then erased unless they sign in; provision records go after 3 years; dry run equals the run', async () => {
  const srv = await startServer();
  const sink = join(srv.data, '..', 'notices.jsonl');
  try {
    const people = [];
    for (let i = 0; i < 3; i++) people.push(await signupAndLogin(srv, uniqueLogin('idle')));
    const [a, b, c] = people;
    const ids = people.map((p) => p.personId).sort();
    sql(srv.data, `INSERT INTO provisions(at, recipient_id, person_id, purpose, purpose_version, consent_seq, items)
      VALUES (1000, 'r-old', '${a.personId}', 'x', 1, 1, 'Observation'),
             (${Date.parse('2031-06-01T00:00:00Z')}, 'r-new', '${a.personId}', 'x', 1, 1, 'Observation')`);

    const asOf = '2032-06-01';
    const rules = ['--as-of', asOf, '--notice-sink', `file:${sink}`];
    const dry = retention(srv.data, [...rules, '--dry-run']);
    assert.deepEqual(dry.notify_inactive, ids);
    assert.deepEqual(dry.erase_inactive, []);
    assert.equal(dry.prune.provisions, 1, 'only the record older than 3 years');
    assert.ok(dry.prune.sessions >= 3, 'sessions long expired by then');
    assert.equal(sql(srv.data, 'SELECT count(*) FROM notices'), '0', 'a dry run changes nothing');

    const real = retention(srv.data, rules);
    same(dry, real);
    assert.equal(sql(srv.data, "SELECT group_concat(recipient_id) FROM provisions"), 'r-new');
    const sent = readFileSync(sink, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(sent.map((s) => s.login).sort(), people.map((p) => p.login).sort(), 'the hook got one notice each');
    assert.equal(sent[0].notice.kind, 'inactivity');
    assert.match(sent[0].notice.message.ja, /消去します/);

    const again = retention(srv.data, rules);
    assert.deepEqual([again.notify_inactive, again.erase_inactive, again.prune.provisions], [[], [], 0], 'idempotent');

    // b signs in: told, and the erasure is called off.
    const login = await call(srv, 'POST', '/api/v1/login', { body: { login: b.login, password: PASSWORD } });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.body.notices.length, 1);
    assert.equal(login.body.notices[0].kind, 'inactivity');
    assert.equal(login.body.notices[0].resolved, true);
    assert.match(login.body.notices[0].message.ja, /取り消されました/);

    const later = ['--as-of', '2032-09-15', '--notice-sink', `file:${sink}`];
    const dry2 = retention(srv.data, [...later, '--dry-run']);
    assert.deepEqual(dry2.erase_inactive, [a.personId, c.personId].sort());
    const real2 = retention(srv.data, later);
    same(dry2, real2);
    for (const p of [a, c]) {
      const r = await call(srv, 'POST', '/api/v1/login', { body: { login: p.login, password: PASSWORD } });
      assert.equal(r.status, 401, 'erased');
      assert.equal(sql(srv.data, `SELECT status FROM persons WHERE id = '${p.personId}'`), 'erased');
      assert.equal(sql(srv.data, `SELECT requested_by || ' ' || status FROM erasures WHERE person_id = '${p.personId}'`),
        'system:operator (retention:inactive) done');
    }
    assert.equal((await call(srv, 'POST', '/api/v1/login', { body: { login: b.login, password: PASSWORD } })).status, 200);
    assert.equal(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'retention.run'"), '3', 'real runs only');
    assert.equal(sql(srv.data, 'SELECT count(*) FROM retention_runs'), '3');
  } finally {
    await srv.stop();
  }
});

test('R4.5 termination: held to the export period the terms promised; persons are told, sign-up stops, export stays open, then retention erases everyone', async () => {
  const srv = await startServer();
  try {
    const me = await signupAndLogin(srv);
    const bad = phr(['termination', 'announce', '--data', srv.data, '--export-until', '2020-01-01', '--erase-after', '2020-02-01']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /in the future/);
    const policies = await call(srv, 'GET', '/api/v1/policies');
    const terms = policies.body.documents.filter((d) => d.kind === 'terms');
    assert.deepEqual(terms.map((d) => d.export_period_days), [90, 90], 'the terms state the export period from day one');
    const soon = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
    const tooShort = phr(['termination', 'announce', '--data', srv.data, '--export-until', soon, '--erase-after', '2099-03-31']);
    assert.equal(tooShort.status, 1);
    assert.match(tooShort.stderr, /export period of 90 days/);
    const ok = phr(['termination', 'announce', '--data', srv.data, '--export-until', '2099-01-31', '--erase-after', '2099-03-31', '--log-level', 'warn']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { announced: true, persons_notified: 1 });
    const twice = phr(['termination', 'announce', '--data', srv.data, '--export-until', '2099-01-31', '--erase-after', '2099-03-31']);
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /already/);

    const login = await call(srv, 'POST', '/api/v1/login', { body: { login: me.login, password: PASSWORD } });
    assert.equal(login.status, 200);
    assert.equal(login.body.notices[0].kind, 'termination');
    assert.match(login.body.notices[0].erase_after, /^2099-03-3/);
    const signup = await call(srv, 'POST', '/api/v1/signup', { body: { login: uniqueLogin('late'), password: PASSWORD } });
    assert.equal(signup.status, 403);
    assert.match(signup.body.detail, /closing/);
    assert.equal((await call(srv, 'GET', '/api/v1/me/disclosure', { token: me.token })).status, 200, 'export stays open');

    const before = retention(srv.data, ['--as-of', '2099-02-15', '--dry-run']);
    assert.deepEqual(before.erase_terminated, []);
    const after = retention(srv.data, ['--as-of', '2099-04-01']);
    assert.deepEqual(after.erase_terminated, [me.personId]);
    assert.equal((await call(srv, 'POST', '/api/v1/login', { body: { login: me.login, password: PASSWORD } })).status, 401);
    assert.equal(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'termination.announce'"), '1');
    assert.equal(sql(srv.data, "SELECT count(*) FROM audit WHERE action = 'account.signup' AND reason = 'termination'"), '1');
  } finally {
    await srv.stop();
  }
});
