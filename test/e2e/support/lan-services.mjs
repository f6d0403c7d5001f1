// The services of the e2e test's `lan` namespace, in one process (sshd runs separately):
//   HTTP app on :8080 that echoes what it received (so the test can see which headers/cookies arrived),
//   two TLS apps with their own certificate (CERT/KEY env): :8443 answers "lan-tls-a:<sni>", :8444 "lan-tls-b:<sni>",
//   plain TCP echo on :9000 (for the TLS-terminate route),
//   UDP echo on 27015–27017 (each port answers with its own number),
//   a "sleeping" TCP service on :7777 that starts listening only after a Wake-on-LAN magic packet for MAC
//   (env WOL_MAC) arrives on UDP :9.
// Prints "lan services ready" when everything listens. Every socket has an error handler.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

const seen = [];

const app = http.createServer((req, res) => {
  seen.push({ url: req.url, headers: req.headers });
  const body = JSON.stringify({ app: 'lan-http', url: req.url, headers: req.headers });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
});
app.on('clientError', (_err, socket) => socket.destroy());

const tlsApp = (name) =>
  tls.createServer({ key: readFileSync(process.env.KEY), cert: readFileSync(process.env.CERT) }, (socket) => {
    socket.on('error', () => {});
    socket.end(`lan-tls-${name}:${socket.servername ?? ''}`);
  });
const tlsA = tlsApp('a');
const tlsB = tlsApp('b');

const echo = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.on('data', (d) => socket.write(`echo:${d}`));
});

const udp = [27015, 27016, 27017].map((port) => {
  const s = dgram.createSocket('udp4');
  s.on('error', (err) => console.error(`udp ${port}: ${err.message}`));
  s.on('message', (msg, rinfo) => s.send(Buffer.from(`udp${port}:${msg}`), rinfo.port, rinfo.address));
  return { s, port };
});

const mac = (process.env.WOL_MAC ?? '')
  .toLowerCase()
  .split(':')
  .map((h) => Number.parseInt(h, 16));
let woken = false;
const sleeper = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.end('awake');
});
sleeper.on('error', (err) => console.error(`sleeper: ${err.message}`));
const wol = dgram.createSocket({ type: 'udp4', reuseAddr: true });
wol.on('error', (err) => console.error(`wol: ${err.message}`));
wol.on('message', (msg, rinfo) => {
  const expected = Buffer.concat([Buffer.alloc(6, 0xff), ...Array.from({ length: 16 }, () => Buffer.from(mac))]);
  const ok = msg.length >= 102 && msg.subarray(0, 102).equals(expected);
  console.log(`magic packet from ${rinfo.address}: ${ok ? 'valid' : 'invalid'}`);
  if (ok && !woken) {
    woken = true;
    // Like a machine waking up: the service comes up a moment after the packet.
    setTimeout(() => sleeper.listen(7777, '0.0.0.0', () => console.log('sleeper awake on 7777')), 300);
  }
});

await Promise.all([
  new Promise((r) => app.listen(8080, '0.0.0.0', r)),
  new Promise((r) => tlsA.listen(8443, '0.0.0.0', r)),
  new Promise((r) => tlsB.listen(8444, '0.0.0.0', r)),
  new Promise((r) => echo.listen(9000, '0.0.0.0', r)),
  ...udp.map(({ s, port }) => new Promise((r) => s.bind(port, '0.0.0.0', r))),
  new Promise((r) => wol.bind(9, '0.0.0.0', r)),
]);
console.log('lan services ready');

process.on('SIGTERM', () => process.exit(0));
