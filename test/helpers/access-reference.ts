import { normalizeAddress } from '../../src/policy/addresses.ts';
import type { Policy, PolicyCondition } from '../../src/policy/schema.ts';

/**
 * Two small reference evaluators of route access, written from the documents rather than from the code, so
 * that the migration property test (test/unit/policy-migration.property.test.ts) compares meanings:
 * - `decideOldChain`: the fixed chain as docs/architecture.md "Access control" described it before issue 15 —
 *   peer ACL (tunnel addresses of the listed, enabled peers and tag members), then the IP filter (whitelist:
 *   some rule must match, empty admits nobody; blacklist: no rule may match), then the rate limit, then the
 *   route login;
 * - `decidePolicy`: the ordered rules of docs/architecture.md "Access control" (the contract): the first rule
 *   whose conditions all hold decides, otherwise the default; an allow is counted by the rate limit.
 * Both see the client as the data plane does: IPv4-mapped IPv6 is IPv4, countries come from a lookup table.
 */

export interface ReferencePeer {
  id: number;
  address: string;
  enabled: boolean;
  tags: string[];
}

export interface OldAccess {
  acl_enabled: boolean;
  acl_peers: (number | string)[];
  ip_filter_enabled: boolean;
  ip_filter_mode: 'whitelist' | 'blacklist';
  ip_filter_rules: { type: 'ip' | 'cidr' | 'country'; value: string }[];
  rate_limit_enabled: boolean;
  rate_limit_requests: number;
  rate_limit_window: '1s' | '1m' | '5m' | '1h';
  auth_enabled: boolean;
}

export interface World {
  peers: ReferencePeer[];
  /** Canonical address → ISO country code; absent: unknown. */
  countries: Record<string, string>;
}

export interface Verdict {
  allowed: boolean;
  /** Allowed only after the route login. */
  login: boolean;
  /** Denied by the rate limit (rather than by a rule). */
  limited: boolean;
}

const WINDOW_MS = { '1s': 1_000, '1m': 60_000, '5m': 300_000, '1h': 3_600_000 } as const;

/** An address as a family and a number (IPv4-mapped IPv6 reduced to IPv4), or undefined. */
export function addressValue(text: string): { family: 4 | 6; value: bigint } | undefined {
  const canonical = normalizeAddress(text);
  if (!canonical) return undefined;
  if (!canonical.includes(':')) {
    return { family: 4, value: canonical.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n) };
  }
  const [head = '', tail] = canonical.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(tail === undefined ? 0 : 8 - h.length - t.length).fill('0'), ...t];
  return { family: 6, value: groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n) };
}

/** Whether `ip` lies in `prefix` (host bits of the prefix ignored, as Go's netip.Prefix.Contains does). */
export function prefixContains(prefix: string, ip: string): boolean {
  const [base = '', bitsText = ''] = prefix.split('/');
  const p = addressValue(base);
  const a = addressValue(ip);
  if (!p || !a || p.family !== a.family) return false;
  // A mapped prefix (::ffff:10.0.0.0/104) counts in IPv4 bits.
  const bits = Number(bitsText) - (base.includes(':') && p.family === 4 ? 96 : 0);
  const width = p.family === 4 ? 32 : 128;
  const shift = BigInt(width - bits);
  return p.value >> shift === a.value >> shift;
}

const sameAddress = (a: string, b: string) => normalizeAddress(a) === normalizeAddress(b);

/** The /64 of an IPv6 client or the IPv4 address: what the rate limit counts per. */
function limitKey(ip: string): string {
  const a = addressValue(ip)!;
  return a.family === 4 ? `4:${a.value}` : `6:${a.value >> 64n}`;
}

/** An exact sliding log per client: at most `requests` in any window of `windowMs`. */
export class SlidingLog {
  private readonly log = new Map<string, number[]>();
  constructor(
    private readonly requests: number,
    private readonly windowMs: number,
  ) {}
  admit(ip: string, atMs: number): boolean {
    const key = limitKey(ip);
    const times = (this.log.get(key) ?? []).filter((t) => t > atMs - this.windowMs);
    const ok = times.length < this.requests;
    if (ok) times.push(atMs);
    this.log.set(key, times);
    return ok;
  }
}

function peerAddresses(world: World, ids: Set<number>, tags: Set<string>): string[] {
  return world.peers
    .filter((p) => p.enabled && (ids.has(p.id) || p.tags.some((t) => tags.has(t))))
    .map((p) => p.address);
}

function countryOf(world: World, ip: string): string | undefined {
  return world.countries[normalizeAddress(ip) ?? ''];
}

/** The old chain, one route: returns a decider that keeps its rate-limit state across calls. */
export function oldChainDecider(access: OldAccess, world: World) {
  const limiter = access.rate_limit_enabled
    ? new SlidingLog(access.rate_limit_requests, WINDOW_MS[access.rate_limit_window])
    : undefined;
  return (ip: string, atMs: number): Verdict => {
    const deny = { allowed: false, login: false, limited: false };
    if (access.acl_enabled) {
      const ids = new Set(access.acl_peers.filter((p): p is number => typeof p === 'number'));
      const tags = new Set(access.acl_peers.filter((p): p is string => typeof p === 'string').map((t) => t.slice(4)));
      if (!peerAddresses(world, ids, tags).some((a) => sameAddress(a, ip))) return deny;
    }
    if (access.ip_filter_enabled) {
      const matches = access.ip_filter_rules.some((r) =>
        r.type === 'ip'
          ? sameAddress(r.value, ip)
          : r.type === 'cidr'
            ? prefixContains(r.value, ip)
            : countryOf(world, ip) === r.value.toUpperCase(),
      );
      if (matches !== (access.ip_filter_mode === 'whitelist')) return deny;
    }
    if (limiter && !limiter.admit(ip, atMs)) return { ...deny, limited: true };
    return { allowed: true, login: access.auth_enabled, limited: false };
  };
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function minutesOf(hhmm: string): number {
  const [h = 0, m = 0] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

function conditionMatches(c: PolicyCondition, world: World, ip: string, atMs: number): boolean {
  switch (c.type) {
    case 'peer':
      return peerAddresses(world, new Set(c.values.map(Number)), new Set()).some((a) => sameAddress(a, ip));
    case 'peer_tag':
      return peerAddresses(world, new Set(), new Set(c.values)).some((a) => sameAddress(a, ip));
    case 'ip':
      return c.values.some((v) => sameAddress(v, ip));
    case 'cidr':
      return c.values.some((v) => prefixContains(v, ip));
    case 'country': {
      const country = countryOf(world, ip);
      return country !== undefined && c.values.includes(country);
    }
    case 'time': {
      const parts = new Intl.DateTimeFormat('en-US', {
        timeZone: c.tz,
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).formatToParts(new Date(atMs));
      const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
      const day = DAY_NAMES[['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'))]!;
      const now = Number(get('hour')) * 60 + Number(get('minute'));
      const from = minutesOf(c.from);
      const to = minutesOf(c.to);
      const inWindow = from < to ? now >= from && now < to : now >= from || now < to;
      return (c.days as string[]).includes(day) && inWindow;
    }
    default:
      // asn, path_prefix and method need data the migration never produces; the reference does not model them.
      throw new Error(`the reference evaluator does not model ${c.type}`);
  }
}

/** The ordered rules, one route: returns a decider that keeps its rate-limit state across calls. */
export function policyDecider(policy: Policy, world: World) {
  const limiter = policy.rate_limit
    ? new SlidingLog(policy.rate_limit.requests, WINDOW_MS[policy.rate_limit.window])
    : undefined;
  return (ip: string, atMs: number): Verdict => {
    const rule = policy.rules.find((r) =>
      r.conditions.every((c) => conditionMatches(c, world, ip, atMs) !== Boolean(c.not)),
    );
    const action = rule ? rule.action : policy.default;
    if (action === 'deny') return { allowed: false, login: false, limited: false };
    if (limiter && !limiter.admit(ip, atMs)) return { allowed: false, login: false, limited: true };
    return { allowed: true, login: Boolean(policy.login || rule?.login), limited: false };
  };
}
