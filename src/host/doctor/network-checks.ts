import { INSTALLED_WIREGUARD_GO_BIN, parseWireGuardGoVersion } from '../../wireguard/userspace.ts';
import { describeOwner, ownPorts, portInUseMessage } from '../ports.ts';
import type { Check, CheckResult } from './types.ts';

const INSTALL_WIREGUARD = 'apt-get install -y --no-install-recommends wireguard-tools wireguard-go iproute2';

/** Every port Gatehouse binds: free, or held by this installation already (a running server), else who holds it. */
export const checkPorts: Check = async (env) => {
  const results: CheckResult[] = [];
  for (const target of ownPorts(env.config)) {
    const check = `port ${target.setting}`;
    const where = `${target.host ?? '*'}:${target.port}/${target.protocol}`;
    const probe = await env.probe(target);
    if (probe === 'free') {
      results.push({ check, level: 'ok', message: `${where} is free` });
    } else if (probe === 'denied') {
      results.push({
        check,
        level: 'fail',
        message: `${where} needs root or CAP_NET_BIND_SERVICE (docs/deploy.md), or set ${target.setting} to a port above 1023`,
      });
    } else {
      const owner = env.owner(target);
      const ours = owner.kind === 'our-caddy' || owner.kind === 'our-wireguard' || owner.kind === 'gatehouse';
      if (ours) results.push({ check, level: 'ok', message: `${where} is ${describeOwner(owner)}` });
      else results.push({ check, level: target.required ? 'fail' : 'warn', message: portInUseMessage(target, owner) });
    }
  }
  return results;
};

/** The interface needs the wg tool and either kernel WireGuard or wireguard-go with /dev/net/tun, and root. */
export const checkWireGuard: Check = async (env) => {
  const check = 'wireguard';
  const mode = env.config.wireguard.mode;
  if (mode === 'false') return [{ check, level: 'ok', message: 'disabled (GATEHOUSE_WG_ENABLED=false)' }];
  const missing = mode === 'true' ? 'fail' : 'warn';
  const wg = await env.which('wg');
  if (!wg) return [{ check, level: missing, message: `the wg command is missing; install: ${INSTALL_WIREGUARD}` }];
  const kernel = env.exists('/sys/module/wireguard');
  // Ours (bin/wireguard-go, pinned) before one on PATH: the same order as src/wireguard/userspace.ts.
  const bundled = env.exists(INSTALLED_WIREGUARD_GO_BIN) ? INSTALLED_WIREGUARD_GO_BIN : undefined;
  const userspaceBin = bundled ?? (await env.which('wireguard-go'));
  const userspace = !kernel && userspaceBin !== undefined && env.exists('/dev/net/tun');
  if (!kernel && !userspace) {
    return [
      {
        check,
        level: missing,
        message: `neither kernel WireGuard nor wireguard-go with /dev/net/tun; install: ${INSTALL_WIREGUARD}, or build ours: npm run build:wireguard-go`,
      },
    ];
  }
  if (env.uid !== 0) {
    return [
      {
        check,
        level: missing,
        message: 'WireGuard needs root or CAP_NET_ADMIN (docs/deploy.md: AmbientCapabilities in the systemd unit)',
      },
    ];
  }
  if (kernel) {
    const version = env.readFile('/sys/module/wireguard/version')?.trim();
    return [{ check, level: 'ok', message: `kernel WireGuard${version ? ` ${version}` : ''}, wg at ${wg}` }];
  }
  const ran = await env.run(userspaceBin!, ['--version']);
  const version = ran.ok ? parseWireGuardGoVersion(ran.stdout) : undefined;
  const runs = `wireguard-go ${version ?? '(version unknown)'} at ${userspaceBin}, wg at ${wg}`;
  if (!bundled) {
    // Debian's 0.0.20220316 predates segmentation offload: about a third of ours in bench/wireguard.ts.
    return [{ check, level: 'warn', message: `${runs}; build the pinned, faster one: npm run build:wireguard-go` }];
  }
  return [{ check, level: 'ok', message: runs }];
};

/** IPv4 forwarding: only full-tunnel peers need it (their traffic leaves through this server). */
export const checkForwarding: Check = async (env) => {
  const check = 'forwarding';
  const value = env.readFile('/proc/sys/net/ipv4/ip_forward')?.trim();
  if (value === '1') return [{ check, level: 'ok', message: 'IPv4 forwarding is on' }];
  if (value === '0') {
    return [
      {
        check,
        level: 'warn',
        message:
          'IPv4 forwarding is off: full-tunnel peers reach nothing beyond this server until it is on (sysctl -w net.ipv4.ip_forward=1)',
      },
    ];
  }
  return [{ check, level: 'warn', message: 'cannot read /proc/sys/net/ipv4/ip_forward' }];
};

/** The public domain must resolve, and normally to this machine (or to a router forwarding to it). */
export const checkDns: Check = async (env) => {
  const check = 'dns';
  const domain = env.config.publicDomain;
  if (!domain) {
    return [
      {
        check,
        level: 'warn',
        message:
          'GATEHOUSE_PUBLIC_DOMAIN is not set: no HTTPS certificate and no WireGuard endpoint from it; set it to a name whose A/AAAA record points here',
      },
    ];
  }
  let addresses: string[];
  try {
    addresses = await env.lookup(domain);
  } catch (err) {
    return [
      {
        check,
        level: 'fail',
        message: `${domain} does not resolve (${(err as Error).message}): add an A/AAAA record pointing to this server`,
      },
    ];
  }
  const local = new Set(env.localAddresses());
  const here = addresses.filter((a) => local.has(a));
  if (here.length > 0)
    return [{ check, level: 'ok', message: `${domain} resolves to ${here.join(', ')} (this machine)` }];
  return [
    {
      check,
      level: 'warn',
      message: `${domain} resolves to ${addresses.join(', ')}, no address of this machine: right when a router forwards 80, 443 and ${env.config.wireguard.port}/udp here, else fix the record`,
    },
  ];
};
