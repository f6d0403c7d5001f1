import type { Config } from '../../config/index.ts';
import type { Route } from '../../db/schema/routes.ts';
import { ValidationError } from '../../errors.ts';
import { OPEN_POLICY, type Policy, PolicySchema } from '../../policy/schema.ts';
import type { FileRoute } from '../../schemas/config-file.ts';
import type { RouteFields } from '../../schemas/routes.ts';
import { subnetOf } from '../peers/rules.ts';
import { newDraft, normalizeDraft, type RouteDraft } from '../routes/resolve.ts';
import { type CanonicalDocument, type CanonicalEntry, mapPeerValues, routeEntry } from './document.ts';
import { type ParsedConfigFile, type Path, zodIssues } from './parse.ts';

/** An identity provider of the server: never in the file (it holds a client secret), named by routes. */
export interface KnownProvider {
  name: string;
  forRoutes: boolean;
}

/**
 * The file as the canonical document would show it once applied: every value normalised by the same rules as
 * the API (route drafts, policies), references checked by name. `known` holds the names that exist besides the
 * file's own (the server's, unless --prune deletes what the file leaves out) and the server's identity
 * providers, which are never in the file (they hold a client secret) and which routes name (`auth_provider`).
 */
export interface DesiredState {
  doc: CanonicalDocument;
  /** Route drafts with the names they refer to, for apply. */
  routes: Map<string, RoutePlan>;
}

/** One route as apply needs it: its draft and the names it refers to (resolved to this server's ids at apply). */
export interface RoutePlan {
  draft: RouteDraft;
  peer: string | null;
  gateway: string | null;
  /** The pool members' gateways by name, in member order (the draft's member ids are placeholders). */
  poolGateways: string[];
  policy: string | Policy;
  provider: string | null;
}

/** Placeholder ids for peer names while a policy is checked (PolicySchema wants ids; names resolve at apply). */
const PLACEHOLDER_BASE = 9_000_000_000_000_000n;

export function desiredState(
  parsed: ParsedConfigFile,
  config: Config,
  known: { peers: string[]; gateways: string[]; policies: string[]; providers: KnownProvider[] },
): DesiredState {
  const { file } = parsed;
  const issues: { path: Path; message: string }[] = [];
  for (const section of ['policies', 'peers', 'gateways', 'routes'] as const) {
    const seen = new Map<string, number>();
    file[section].forEach((entry, i) => {
      const first = seen.get(entry.name);
      if (first !== undefined)
        issues.push({
          path: [section, i, 'name'],
          message: `"${entry.name}" is also the name of ${section}.${first} (${parsed.locate([section, first])}); names must be unique`,
        });
      else seen.set(entry.name, i);
    });
  }
  const names = (section: 'peers' | 'gateways' | 'policies', own: { name: string }[]) =>
    new Set([...own.map((e) => e.name), ...known[section]]);
  const peerNames = [...names('peers', file.peers)].sort();
  const gatewayNames = names('gateways', file.gateways);
  const policyNames = names('policies', file.policies);
  const missing = (path: Path, what: string, name: string) =>
    issues.push({ path, message: `no ${what} named "${name}" (in this file or on the server)` });
  /** A route's provider by name (unique ignoring case, as the provider service keeps them): its stored name. */
  const providerByName = new Map(known.providers.map((p) => [p.name.toLowerCase(), p]));
  const checkProvider = (name: string, path: Path): string | null => {
    const provider = providerByName.get(name.toLowerCase());
    if (!provider)
      issues.push({
        path,
        message:
          `no identity provider named "${name}" on this server; providers are not part of the configuration file ` +
          '(they hold a client secret): create it first (dashboard Settings or POST /api/v1/identity-providers, with for_routes)',
      });
    else if (!provider.forRoutes)
      issues.push({
        path,
        message: `identity provider "${provider.name}" is not offered to routes: set its for_routes first`,
      });
    return provider?.name ?? null;
  };

  /** Placeholder ids for gateway names (one per name, so the route service's own checks still see duplicates). */
  const gatewayPlaceholder = new Map([...gatewayNames].sort().map((n, i) => [n, i + 1]));
  const gatewayIdOf = (name: string) => {
    if (!gatewayPlaceholder.has(name)) gatewayPlaceholder.set(name, gatewayPlaceholder.size + 1);
    return gatewayPlaceholder.get(name)!;
  };
  /** Each member's gateway exists and is in the pool once (the route's own gateway is member 0). */
  const checkPool = (r: FileRoute, path: Path) => {
    const seen = new Map<string, string>(r.gateway ? [[r.gateway, "the route's own gateway (member 0)"]] : []);
    r.pool?.members.forEach((m, j) => {
      const at = [...path, 'members', j, 'gateway'];
      if (!gatewayNames.has(m.gateway)) missing(at, 'gateway', m.gateway);
      const first = seen.get(m.gateway);
      if (first) issues.push({ path: at, message: `gateway "${m.gateway}" is in the pool twice: it is also ${first}` });
      else seen.set(m.gateway, `pool.members.${j}`);
    });
  };

  const placeholder = new Map(peerNames.map((n, i) => [n, String(PLACEHOLDER_BASE + BigInt(i))]));
  const nameOf = new Map([...placeholder].map(([n, id]) => [id, n]));
  /** A policy from the file: peer names checked, then the API's policy schema (normalises every value). */
  const checkPolicy = (value: unknown, path: Path): Policy | undefined => {
    const copy = structuredClone(value) as { rules?: { conditions?: { type?: string; values?: unknown[] }[] }[] };
    const rules = Array.isArray(copy?.rules) ? copy.rules : [];
    for (const [i, rule] of rules.entries()) {
      const conditions = Array.isArray(rule?.conditions) ? rule.conditions : [];
      for (const [j, c] of conditions.entries()) {
        if (c?.type !== 'peer' || !Array.isArray(c.values)) continue;
        c.values = c.values.map((v, k) => {
          const id = typeof v === 'string' ? placeholder.get(v.trim()) : undefined;
          if (id === undefined) missing([...path, 'rules', i, 'conditions', j, 'values', k], 'peer', String(v));
          return id ?? '1';
        });
      }
    }
    const result = PolicySchema.safeParse(copy);
    if (!result.success) {
      issues.push(...zodIssues(result.error, path));
      return undefined;
    }
    return mapPeerValues(result.data, (id) => nameOf.get(id) ?? id);
  };

  const policies = file.policies.map((p, i) => ({
    name: p.name,
    description: p.description,
    policy: checkPolicy(p.policy, ['policies', i, 'policy']) ?? OPEN_POLICY,
  }));
  const subnet = subnetOf(config).cidr;
  const peers: CanonicalEntry[] = file.peers.map((p) => {
    const { address, ...rest } = p;
    return {
      ...rest,
      ...(address !== undefined ? { address } : {}),
      // As the peer service stores them: no keepalive is null, the VPN subnet is implied (peers/rules.ts).
      persistent_keepalive: p.persistent_keepalive === undefined ? undefined : p.persistent_keepalive || null,
      allowed_ips: p.allowed_ips && [...new Set(p.allowed_ips.filter((c) => c !== subnet))],
      expires_at: p.expires_at === undefined ? undefined : p.expires_at && new Date(p.expires_at).toISOString(),
    } as CanonicalEntry;
  });
  file.gateways.forEach((g, i) => {
    if (g.peer !== null && !peerNames.includes(g.peer)) missing(['gateways', i, 'peer'], 'peer', g.peer);
  });

  const routes: DesiredState['routes'] = new Map();
  const routeEntries: CanonicalEntry[] = [];
  file.routes.forEach((r, i) => {
    const at = (field: string) => ['routes', i, field];
    if (r.peer && !peerNames.includes(r.peer)) missing(at('peer'), 'peer', r.peer);
    if (r.gateway && !gatewayNames.has(r.gateway)) missing(at('gateway'), 'gateway', r.gateway);
    checkPool(r, at('pool'));
    let policy: string | Policy = OPEN_POLICY;
    if (typeof r.policy === 'string') {
      if (!policyNames.has(r.policy)) missing(at('policy'), 'policy', r.policy);
      policy = r.policy;
    } else if (r.policy !== undefined) policy = checkPolicy(r.policy, at('policy')) ?? OPEN_POLICY;
    const provider = r.auth_provider ? checkProvider(r.auth_provider, at('auth_provider')) : null;
    const { peer, gateway, pool, policy: _p, users, auth_password_hash, auth_provider, ...fields } = r;
    const poolGateways = pool?.members.map((m) => m.gateway) ?? [];
    let draft: RouteDraft;
    try {
      // Ids stand in for the names here (1 = "named"; gateways one placeholder per name); apply puts the real ones in.
      draft = normalizeDraft(
        newDraft({
          ...fields,
          peer_id: peer ? 1 : null,
          gateway_id: gateway ? gatewayIdOf(gateway) : null,
          pool: pool && {
            ...pool,
            members: pool.members.map(({ gateway: name, ...m }) => ({ gateway_id: gatewayIdOf(name), ...m })),
          },
          auth_provider_id: auth_provider ? 1 : null,
        } as RouteFields),
        config,
      );
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      for (const issue of err.issues) {
        // A member twice: checkPool said so by name (the route service's message names placeholder ids).
        if (/^pool\.members\.\d+\.gateway_id$/.test(issue.field)) continue;
        issues.push({
          path: ['routes', i, ...fileField(issue.field).split('.')],
          message: issue.message,
        });
      }
      return;
    }
    if (auth_password_hash !== undefined) draft.authPasswordHash = auth_password_hash;
    routes.set(r.name, { draft, peer: peer ?? null, gateway: gateway ?? null, poolGateways, policy, provider });
    const entry = routeEntry(
      { ...(draft as Omit<Route, 'id' | 'createdAt' | 'updatedAt'>), policyId: null, policy: null },
      {
        peerName: new Map([[1, peer ?? '']]),
        gatewayName: new Map([...gatewayPlaceholder].map(([name, id]) => [id, name])),
        policyName: new Map(),
        providerName: new Map([[1, provider ?? auth_provider ?? '']]),
      },
      users,
      auth_password_hash !== undefined,
    );
    entry.policy = policy;
    if (users === undefined) delete entry.users;
    routeEntries.push(entry);
  });
  if (issues.length > 0) parsed.fail(issues);

  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    doc: {
      version: 1,
      settings: { ...file.settings },
      policies: policies.sort(byName),
      peers: peers.sort(byName),
      gateways: file.gateways.map((g) => ({ ...g })).sort(byName),
      routes: routeEntries.sort(byName),
    },
    routes,
  };
}

/**
 * The API's id fields are references by name in the file: `peer_id` → `peer`, `auth_provider_id` →
 * `auth_provider`, `pool.members.1.gateway_id` → `pool.members.1.gateway`.
 */
export function fileField(apiField: string): string {
  return apiField.replace(/(^|\.)(peer|gateway|policy|auth_provider)_id$/, '$1$2');
}
