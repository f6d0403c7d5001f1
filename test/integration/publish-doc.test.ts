// Issue 14 items 4 and 10: the README's API example and the "Publish a LAN service" walkthrough (docs/publish.md)
// run as written against a live server, so they cannot rot. Every fenced block marked `sh tested` runs in one
// bash per document (variables carry from block to block, ids come from earlier responses); each curl's HTTP
// status must equal the `# → NNN` written after it.
// Real: the whole control plane (startServer) with the real Caddy binary, bash and curl, the documents.
// Substituted (as the documents' markers say): the server URL, the token and admin password, the listen ports
// (free high ports instead of 2222, 8443, …) and the example LAN 192.168.2.0/24, rewritten to 198.51.100.0/24
// (TEST-NET-2, documentation only). No agent runs, so nothing dials a LAN target; Caddy listens on 127.0.0.1.
import { execFile, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/services/tokens/create.ts';
import { listeningTcpPorts, ROOT } from '../helpers/caddy.ts';
import { silentLogger, tempDir } from '../helpers/env.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

const ADMIN_PASSWORD = 'correct horse battery staple';

/** The `sh tested` blocks of a Markdown file, in order. */
function testedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh tested\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** The `# → NNN` statuses, in order; every curl call needs exactly one. */
function expectedStatuses(script: string): number[] {
  const calls = script.split('\n').filter((line) => /(^|\$\()\s*curl\b/.test(line.trim().replace(/^\w+=/, '')));
  const statuses = [...script.matchAll(/# → (\d{3})\b/g)].map((m) => Number(m[1]));
  expect(statuses.length, 'every curl call in a tested block is followed by "# → <status>"').toBe(calls.length);
  return statuses;
}

/** `count` consecutive ports free for TCP and UDP on 127.0.0.1, from a random start (bounded tries). */
async function freePorts(count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const tcp = net.createServer().once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => {
        const udp = dgram.createSocket('udp4').once('error', () => tcp.close(() => resolve(false)));
        udp.bind(port, '127.0.0.1', () => udp.close(() => tcp.close(() => resolve(true))));
      });
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = 42_000 + Math.floor(Math.random() * 15_000);
    let ok = true;
    for (let p = start; p < start + count && ok; p++) ok = await free(p);
    if (ok) return start;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

const curlMissing = spawnSync('curl', ['--version']).status !== 0;
if (curlMissing) console.warn('publish-doc: skipping the live runs, curl is not installed (scripts/install.sh --test)');

let stack: Stack;
let writeToken = '';

/** A fresh server per document: each is read on its own, so both may create a `gw-home`. */
async function freshStack() {
  await stack?.stop();
  stack = await startStack({ GATEHOUSE_WG_ENDPOINT: 'gate.example.com' });
  const ctx = { db: stack.server.db, config: stack.config, logger: silentLogger, now: () => new Date() };
  writeToken = (
    await createToken({ ctx: { ...ctx, actor: { kind: 'system' } }, input: { name: 'docs', scope: 'write' } })
  ).token;
}
afterAll(() => stack?.stop());

/** The document's tested blocks with the test's own server, token and addresses in place of the examples. */
async function prepare(markdown: string): Promise<{ script: string; tcpPorts: number[] }> {
  const blocks = testedBlocks(markdown);
  expect(blocks.length).toBeGreaterThan(0);
  let script = blocks.join('\n');
  script = script.replace(/^API=http:\/\/127\.0\.0\.1:3000\/api\/v1$/gm, `API=${stack.server.url}/api/v1`);
  script = script.replace(/^T=gth_your_write_token$/m, `T=${writeToken}`);
  script = script.replace(/"password":"…"/g, `"password":"${ADMIN_PASSWORD}"`);
  script = script.replaceAll('192.168.2.', '198.51.100.');
  // Anything still aimed at the example server would leave the test's own: refuse to run it.
  expect(script).not.toContain('127.0.0.1:3000');
  const ports = new Map<string, string>();
  for (const [, first, last] of script.matchAll(/"l4_listen_port":"(\d+)(?:-(\d+))?"/g)) {
    const key = last ? `${first}-${last}` : first!;
    if (ports.has(key)) continue;
    const start = await freePorts(last ? Number(last) - Number(first) + 1 : 1);
    ports.set(key, last ? `${start}-${start + Number(last) - Number(first)}` : String(start));
  }
  for (const [from, to] of ports) script = script.replaceAll(`"l4_listen_port":"${from}"`, `"l4_listen_port":"${to}"`);
  const tcpPorts = [...script.matchAll(/"l4_protocol":"tcp","l4_listen_port":"(\d+)"/g)].map((m) => Number(m[1]));
  return { script, tcpPorts };
}

/** Runs the script in bash with curl wrapped to record each call's status; returns them and the output. */
async function run(script: string) {
  const { dir, cleanup } = tempDir('gatehouse-doc-');
  const log = path.join(dir, 'statuses');
  const wrapper = `set -eo pipefail
curl() { local out; out=$(command curl --max-time 20 -w '\\n%{http_code}' "$@"); echo "\${out##*$'\\n'}" >> ${log}; printf '%s' "\${out%$'\\n'*}"; }
`;
  try {
    const result = await promisify(execFile)('bash', ['-c', wrapper + script], { cwd: dir, timeout: 120_000 }).catch(
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    const statuses = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map(Number);
    return { statuses, stdout: result.stdout, stderr: result.stderr };
  } finally {
    cleanup();
  }
}

describe('documented API examples run against a live server (issue 14 items 4 and 10)', () => {
  for (const file of ['README.md', 'docs/publish.md']) {
    it.skipIf(curlMissing)(
      `${file}: every tested call answers the documented status`,
      async () => {
        await freshStack();
        const markdown = readFileSync(path.join(ROOT, file), 'utf8');
        const { script, tcpPorts } = await prepare(markdown);
        const expected = expectedStatuses(script);
        const { statuses, stdout, stderr } = await run(script);
        expect(statuses, `${stderr}\n${stdout}`).toEqual(expected);
        // The L4 routes are live: Caddy listens on their ports (looked up in /proc, no traffic sent).
        expect(tcpPorts.length).toBeGreaterThan(0);
        expect(listeningTcpPorts(stack.server.caddy!.status().pid!)).toEqual(expect.arrayContaining(tcpPorts));
      },
      150_000,
    );
  }

  it('docs/publish.md covers every route kind and names the L4 fields', () => {
    const markdown = readFileSync(path.join(ROOT, 'docs/publish.md'), 'utf8');
    const tested = testedBlocks(markdown).join('\n');
    for (const field of [
      '"l4_protocol":"tcp"',
      '"l4_protocol":"udp"',
      '"l4_listen_port":"27015-27020"',
      '"l4_tls_mode":"passthrough"',
      '"l4_tls_mode":"terminate"',
      '"wol_enabled":true',
      '"wol_mac"',
      '"auth_enabled":true',
      '/peers/$GW_PEER/config',
      '"acl_peers"',
      '"type":"country"',
    ])
      expect(tested, field).toContain(field);
    expect(markdown).toContain('GATEHOUSE_LISTEN=10.8.0.1:3000');
  });

  it('the README publishes nothing that admits nobody (an ACL and a country whitelist on one route)', () => {
    for (const file of ['README.md', 'docs/publish.md']) {
      const markdown = readFileSync(path.join(ROOT, file), 'utf8');
      for (const call of markdown.split(/\n(?=\S)/))
        expect(call.includes('"acl_enabled":true') && call.includes('"type":"country"'), `${file}: ${call}`).toBe(
          false,
        );
    }
  });
});
