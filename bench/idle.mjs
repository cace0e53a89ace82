// Holds N idle keep-alive connections to a server for a moment and prints
// the server's resident memory (kB) while they are open.
// usage: node bench/idle.mjs HOST PORT N PID
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';

const [host, port, n, pid] = process.argv.slice(2);
const sockets = [];
for (let i = 0; i < Number(n); i++) {
  await new Promise((resolve, reject) => {
    const s = connect(Number(port), host, resolve);
    s.on('error', reject);
    sockets.push(s);
  });
}
// Each connection sends a request line but not the end of its headers, as
// a slow client would: the server holds per-connection state for each.
for (const s of sockets) s.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n');
await new Promise((r) => setTimeout(r, 1000));
const status = readFileSync(`/proc/${pid}/status`, 'utf8');
const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
const open = sockets.filter((s) => !s.destroyed).length;
console.log(`${rss} ${open}`);
for (const s of sockets) s.destroy();
