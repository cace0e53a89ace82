// An independent check of `phr audit export` output, for auditors: it
// recomputes every entry's hash from its fields and its predecessor's hash
// (docs/audit.md, "The chain") with nothing but Node's crypto, and checks
// that each entry links to the one before it in the export.
// usage: phr audit export --data DIR ... | node scripts/verify-audit-export.mjs
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';

const FIELDS = ['actor', 'role', 'action', 'subject', 'records', 'reason', 'client', 'result', 'request_id'];

function field(h, s) {
  const len = Buffer.alloc(4);
  if (s === null || s === undefined) {
    len.writeUInt32BE(0xffffffff);
    h.update(len);
    return;
  }
  const bytes = Buffer.from(s, 'utf8');
  len.writeUInt32BE(bytes.length);
  h.update(len);
  h.update(bytes);
}

let n = 0;
let prev = null;
let prevSeq = null;
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const e = JSON.parse(line);
  const h = createHash('sha256');
  h.update('phr-audit-v1');
  h.update(Buffer.from(e.prev_hash, 'hex'));
  field(h, String(e.seq));
  field(h, String(e.at_ms));
  for (const f of FIELDS) field(h, e[f]);
  const hash = h.digest('hex');
  if (hash !== e.hash) {
    console.log(`entry ${e.seq}: content does not match its hash`);
    process.exit(1);
  }
  if (prev !== null && e.seq === prevSeq + 1 && e.prev_hash !== prev) {
    console.log(`entry ${e.seq}: does not link to entry ${prevSeq}`);
    process.exit(1);
  }
  prev = e.hash;
  prevSeq = e.seq;
  n += 1;
}
console.log(`${n} entries: every hash recomputed and matching`);
