// The pool e2e's client (issue 19), in the `client` namespace, driven by JSON lines on stdin; answers one JSON
// line per command on stdout. Every connection learns its gateway from the LAN service's first line.
//   {"id":1,"cmd":"streams","port":7000,"n":50}  open n long-lived streams (each echoes a ping every 200 ms)
//   {"id":2,"cmd":"udp","port":7001}             start a UDP flow (a datagram every 100 ms)
//   {"id":3,"cmd":"status"}                      streams open/cut per gateway; UDP sent/answered per gateway
//   {"id":4,"cmd":"probe","port":7002,"ms":4000,"every":50}  a new connection every `every` ms for `ms`
//   {"id":5,"cmd":"spread","port":7000,"n":1000,"concurrency":20}  n new connections: count per gateway
// Bounded: every connect has a 1.5 s deadline; the process exits when stdin closes.
import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';

const HOST = process.env.SERVER;
const send = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

/** One connection: resolves with its gateway address (or an error) and the socket. */
function connect(port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host: HOST, port });
    let buf = '';
    const done = (result) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      resolve({ ...result, ms: performance.now() - started, socket });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      done({ error: 'timeout' });
    }, timeoutMs);
    socket.on('error', (err) => done({ error: err.code ?? err.message }));
    socket.on('close', () => done({ error: 'closed before greeting' }));
    socket.on('data', (d) => {
      buf += d;
      const m = /^from (\S+)\n/.exec(buf);
      if (m) done({ gateway: m[1] });
    });
  });
}

const streams = [];
const udpFlows = [];

const handlers = {
  async streams({ port, n }) {
    const opened = await Promise.all(Array.from({ length: n }, () => connect(port)));
    for (const c of opened) {
      if (c.error) continue;
      const s = { gateway: c.gateway, socket: c.socket, cut: null, echoes: 0 };
      c.socket.removeAllListeners('close');
      c.socket.removeAllListeners('error');
      c.socket.on('error', () => {});
      c.socket.on('data', (d) => (s.echoes += String(d).split('ping\n').length - 1));
      c.socket.on('close', () => (s.cut ??= Date.now()));
      s.timer = setInterval(() => !s.cut && c.socket.write('ping\n'), 200);
      streams.push(s);
    }
    return { opened: opened.filter((c) => !c.error).length, failed: opened.filter((c) => c.error).map((c) => c.error) };
  },
  async udp({ port }) {
    const socket = dgram.createSocket('udp4');
    const flow = { sent: 0, answers: {} };
    socket.on('error', () => {});
    socket.on('message', (msg) => {
      const gw = /^from (\S+)/.exec(String(msg))?.[1] ?? '?';
      flow.answers[gw] = (flow.answers[gw] ?? 0) + 1;
    });
    socket.connect(port, HOST, () => {
      flow.timer = setInterval(() => {
        flow.sent++;
        socket.send(`n${flow.sent}`);
      }, 100);
    });
    flow.socket = socket;
    udpFlows.push(flow);
    await new Promise((r) => setTimeout(r, 1000));
    return { flow: udpFlows.length - 1, answers: flow.answers, sent: flow.sent };
  },
  async status() {
    const per = {};
    for (const s of streams) {
      per[s.gateway] ??= { open: 0, cut: 0, echoes: 0 };
      const p = per[s.gateway];
      if (s.cut) p.cut++;
      else p.open++;
      p.echoes += s.echoes;
    }
    return { streams: per, udp: udpFlows.map((f) => ({ sent: f.sent, answers: { ...f.answers } })) };
  },
  async probe({ port, ms, every }) {
    const results = [];
    const start = Date.now();
    const pending = [];
    while (Date.now() - start < ms) {
      const at = Date.now();
      pending.push(
        connect(port).then((c) => {
          c.socket.destroy();
          results.push({ at, gateway: c.gateway, error: c.error, ms: Math.round(c.ms) });
        }),
      );
      await new Promise((r) => setTimeout(r, every));
    }
    await Promise.all(pending);
    return { results: results.sort((a, b) => a.at - b.at) };
  },
  async spread({ port, n, concurrency }) {
    const counts = {};
    const errors = {};
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        const c = await connect(port);
        c.socket.destroy();
        if (c.error) errors[c.error] = (errors[c.error] ?? 0) + 1;
        else counts[c.gateway] = (counts[c.gateway] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { counts, errors };
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const msg = JSON.parse(line);
  try {
    send({ id: msg.id, ok: true, ...(await handlers[msg.cmd](msg)) });
  } catch (err) {
    send({ id: msg.id, ok: false, error: String(err?.stack ?? err) });
  }
});
rl.on('close', () => process.exit(0));
console.error('pool client ready');
