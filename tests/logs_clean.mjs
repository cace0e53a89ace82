// The sweep after the suites (issue 17 item 6, design invariant 3): every
// log line every test server wrote (tests/api/helpers.mjs keeps them in
// PHR_TEST_LOGS) is searched for the health values, names, reasons and
// secrets the tests used. Logs are structured lines about requests and
// events; none of these may appear in them.
//   node tests/logs_clean.mjs DIR
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const needles = [
  // secrets
  'a long enough passphrase',
  // notes, names and findings that tests store or send (numbers are left
  // out: a request's duration in ms may hold any digits)
  'zq-unique-note-7f3a9', 'HbA1c', '山田', 'ヤマダ', '太郎', 'ヘルニア', '膀胱炎', '胃痛', '=cmd|', '身長',
  // the reasons staff state
  'inquiry #4711', 'ticket 42', 'ticket 99', 'matrix check',
];

const dir = process.argv[2];
const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
let lines = 0;
const found = [];
for (const f of files) {
  for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
    lines++;
    for (const n of needles) if (line.includes(n)) found.push(`${f}: '${n}' in ${line.slice(0, 200)}`);
  }
}
if (!files.length || lines < 100) {
  console.error(`logs_clean: only ${files.length} log files with ${lines} lines in ${dir}: the suites kept no logs`);
  process.exit(1);
}
if (found.length) {
  console.error(`logs_clean: ${found.length} log lines hold what a log must not:\n${found.slice(0, 20).join('\n')}`);
  process.exit(1);
}
console.log(`logs_clean: ${lines} lines in ${files.length} server logs, none holds a value, name, reason or secret the tests used`);
