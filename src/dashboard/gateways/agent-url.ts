import type { Config } from '../../config/index.ts';

/**
 * The control-plane URL an agent on a LAN box can dial, and how sure we are of it:
 * - `public`: GATEHOUSE_PUBLIC_DOMAIN is set, so `https://<domain>` (Caddy proxies it to the control plane);
 * - `tunnel`: the control plane listens on the server's WireGuard address, reachable through the gateway's tunnel;
 * - `local`: neither; the URL the browser used works only on this machine, and `fix` says what to set.
 */
export interface AgentServerUrl {
  url: string;
  reach: 'public' | 'tunnel' | 'local';
  fix?: string;
}

export function agentServerUrl(
  config: Pick<Config, 'publicDomain' | 'listen' | 'wireguard'>,
  requestOrigin: string,
): AgentServerUrl {
  if (config.publicDomain) return { url: `https://${config.publicDomain}`, reach: 'public' };
  const tunnel = config.wireguard.address;
  if (config.listen.host === tunnel) return { url: `http://${tunnel}:${config.listen.port}`, reach: 'tunnel' };
  return {
    url: requestOrigin,
    reach: 'local',
    fix:
      `An agent on another machine cannot reach ${requestOrigin}. Set GATEHOUSE_PUBLIC_DOMAIN, or ` +
      `GATEHOUSE_LISTEN=${tunnel}:${config.listen.port} so agents reach the control plane through their tunnel, ` +
      'restart, and rotate the token to get a command with that address.',
  };
}

export function agentCommand(server: AgentServerUrl, token: string) {
  return `gatehouse gateway --server ${server.url} --token ${token}`;
}
