// Encryption at rest (R2.5, design invariant 3): the database files hold
// no plaintext value of a stored record, and no password or token — on
// PostgreSQL the database's relation files and the cluster's WAL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, call, signupAndLogin, quantity, storeFiles, PASSWORD } from './helpers.mjs';

test('R2.5 no plaintext health value, note, password or token in the store files', async () => {
  const srv = await startServer();
  const me = await signupAndLogin(srv);
  const marker = 'zq-unique-note-7f3a9';
  const body = quantity('29463-7', 123.456, 'kg', undefined, { note: [{ text: marker }] });
  const r = await call(srv, 'POST', '/fhir/Observation', { token: me.token, body });
  assert.equal(r.status, 201);
  const fix = { ...quantity('29463-7', 98.765, 'kg', undefined, { note: [{ text: marker }] }), id: r.body.id };
  assert.equal((await call(srv, 'PUT', `/fhir/Observation/${r.body.id}`, { token: me.token, body: fix })).status, 200);
  // Read while the server still runs (the WAL holds the newest pages)...
  // A file PostgreSQL removes between the listing and the reading (its
  // relation cache, pg_internal.init, comes and goes) holds nothing to find.
  const readIfThere = (f) => {
    try {
      return readFileSync(f);
    } catch (e) {
      if (e.code === 'ENOENT') return Buffer.alloc(0);
      throw e;
    }
  };
  const scan = () => {
    const files = storeFiles(srv.data);
    assert.ok(files.length > 0, 'the store has files to scan');
    return Buffer.concat(files.map(readIfThere));
  };
  const check = (bytes) => {
    for (const needle of [marker, '123.456', '98.765', PASSWORD, me.token, 'valueQuantity', 'effectiveDateTime']) {
      assert.equal(bytes.indexOf(Buffer.from(needle)), -1, `found '${needle}' in the store files`);
    }
  };
  check(scan());
  await srv.stop({ keep: true });
  // ...and after shutdown, when the WAL has been checkpointed into the file.
  check(scan());
  // The master key is a separate 0600 file, not in the database.
  const key = readFileSync(join(srv.data, 'master.key'));
  assert.equal(scan().indexOf(key.subarray(8)), -1);
  assert.equal(statSync(join(srv.data, 'master.key')).mode & 0o777, 0o600);
});
