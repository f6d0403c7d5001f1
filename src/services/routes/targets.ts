import os from 'node:os';
import { inLanNetworks, judgeTargetHost } from '@gatehouse/protocol';
import type { Config } from '../../config/index.ts';

/** Caddy's default admin port: ours is a unix socket, but a Caddy started elsewhere on the host listens here. */
export const CADDY_DEFAULT_ADMIN_PORT = 2019;

export type TargetCheck =
  | { host: string; problem?: undefined }
  | { host: string; problem: string; field: 'host' | 'port' };

/** Every address of this host (loopback, interfaces, our listen and tunnel addresses), canonical. */
function ownAddresses(config: Config): Set<string> {
  const own = new Set([config.listen.host, config.wireguard.address]);
  for (const list of Object.values(os.networkInterfaces())) for (const info of list ?? []) own.add(info.address);
  return new Set([...own].map((a) => judgeTargetHost(a)).map((j) => j.host));
}

/**
 * Normalises and judges a host that Caddy on this server dials (`target_host`, `upstreams`): the shared
 * judge (packages/protocol/src/target-address.ts) plus this server's own ports — the control plane's listen
 * port and Caddy's admin port are refused on loopback and on every address of this host. Other loopback
 * ports stay allowed (apps published from the server itself). A host name is judged by name only; Caddy
 * resolves it when it dials (SECURITY.md#what-a-route-may-dial says what that leaves open).
 */
export function checkServerTarget(input: string, port: number | null | undefined, config: Config): TargetCheck {
  const judged = judgeTargetHost(input);
  if (judged.kind === 'invalid' || judged.problem)
    return { host: judged.host, problem: judged.problem!, field: 'host' };
  if (!port || (port !== config.listen.port && port !== CADDY_DEFAULT_ADMIN_PORT)) return { host: judged.host };
  const local = judged.kind === 'name' ? judged.loopback : judged.ip.loopback || ownAddresses(config).has(judged.host);
  if (!local) return { host: judged.host };
  return {
    host: judged.host,
    field: 'port',
    problem: `port ${port} on this server is the ${port === config.listen.port ? 'control plane' : 'Caddy admin endpoint'}; it cannot be a target`,
  };
}

/**
 * Normalises and judges a gateway's LAN host (`target_lan_host`): the shared judge, and an IP must lie in one of
 * the gateway's `lan_networks`. Loopback is refused (it is the gateway host's own, never a LAN service). A host
 * name cannot be placed here; the agent resolves it and checks every answer against the same networks.
 */
export function checkGatewayTarget(input: string, lanNetworks: readonly string[]): TargetCheck {
  const judged = judgeTargetHost(input);
  if (judged.kind === 'invalid' || judged.problem)
    return { host: judged.host, problem: judged.problem!, field: 'host' };
  if (judged.kind === 'name') {
    return judged.loopback
      ? {
          host: judged.host,
          field: 'host',
          problem: `"${judged.host}" is the gateway host's own loopback, not a LAN host`,
        }
      : { host: judged.host };
  }
  if (inLanNetworks(judged.host, lanNetworks)) return { host: judged.host };
  return {
    host: judged.host,
    field: 'host',
    problem: lanNetworks.length
      ? `${judged.host} is not in the gateway's lan_networks (${lanNetworks.join(', ')})`
      : `${judged.host} is not in the gateway's lan_networks (the gateway lists none; add the LAN network first)`,
  };
}
