// The pool e2e's LAN service (issue 19), in the `lan` namespace: every connection first hears which address it
// came from ("from <gateway LAN address>\n"), so the test can tell which gateway carried it; then an echo.
// TCP on PORTS (comma-separated), UDP echo on UDP_PORT answering "from <address> <datagram>". Prints
// "pool lan ready" when everything listens.
import dgram from 'node:dgram';
import net from 'node:net';

let pending = 0;
const ready = () => {
  if (--pending === 0) console.log('pool lan ready');
};
for (const port of (process.env.PORTS ?? '7000').split(',').map(Number)) {
  pending++;
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.setNoDelay(true);
    socket.write(`from ${socket.remoteAddress}\n`);
    socket.pipe(socket);
  });
  server.on('error', (err) => console.error(`tcp ${port}: ${err.message}`));
  server.listen(port, '0.0.0.0', ready);
}
pending++;
const udp = dgram.createSocket('udp4');
udp.on('error', (err) => console.error(`udp: ${err.message}`));
udp.on('message', (msg, rinfo) => udp.send(`from ${rinfo.address} ${msg}`, rinfo.port, rinfo.address));
udp.bind(Number(process.env.UDP_PORT ?? 7001), '0.0.0.0', ready);
