// Issue 14 item 9: the agent command shown for a new gateway names a server URL an agent on a LAN box can
// reach: the public domain, else the server's tunnel address when the control plane listens there, else the
// browser's URL labelled "only on this machine" with what to set.
// Real: loadConfig from environment variables, the gateway page's token box rendered as HTML. Simulated: nothing.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { agentCommand, agentServerUrl } from '../../src/dashboard/gateways/agent-url.ts';
import { TokenOnce } from '../../src/dashboard/gateways/parts/token-once.tsx';

const config = (env: Record<string, string>) =>
  loadConfig({ GATEHOUSE_DATA_DIR: '/tmp/gatehouse-agent-url', GATEHOUSE_WG_ENABLED: 'false', ...env });
const ORIGIN = 'http://127.0.0.1:3000';

async function shown(env: Record<string, string>) {
  const server = agentServerUrl(config(env), ORIGIN);
  const html = String(
    await TokenOnce({
      created: {
        name: 'home',
        command: agentCommand(server, 'gtw_x'),
        reach: server.reach,
        fix: server.fix,
        peerId: null,
      },
    }),
  );
  return { server, html };
}

describe('the server URL in the agent command', () => {
  it('uses https://<public domain> when GATEHOUSE_PUBLIC_DOMAIN is set', async () => {
    const { server, html } = await shown({ GATEHOUSE_PUBLIC_DOMAIN: 'gate.example.com' });
    expect(server).toEqual({ url: 'https://gate.example.com', reach: 'public' });
    expect(html).toContain('gatehouse gateway --server https://gate.example.com --token gtw_x');
    expect(html).not.toContain('only on this machine');
  });

  it("uses the server's tunnel address and the control plane's port when it listens there", async () => {
    const { server, html } = await shown({ GATEHOUSE_LISTEN: '10.9.0.1:3100', GATEHOUSE_WG_ADDRESS: '10.9.0.1/24' });
    expect(server).toEqual({ url: 'http://10.9.0.1:3100', reach: 'tunnel' });
    expect(html).toContain('--server http://10.9.0.1:3100 --token');
    expect(html).not.toContain('only on this machine');
  });

  it('otherwise shows the current URL labelled "only on this machine" and says what to set', async () => {
    const { server, html } = await shown({ GATEHOUSE_LISTEN: '127.0.0.1:3000' });
    expect(server.reach).toBe('local');
    expect(server.url).toBe(ORIGIN);
    expect(html).toContain(`--server ${ORIGIN} --token`);
    expect(html).toContain('works only on this machine');
    expect(html).toContain('GATEHOUSE_PUBLIC_DOMAIN');
    expect(html).toContain('GATEHOUSE_LISTEN=10.8.0.1:3000');
  });
});
