import { isIPv4 } from 'node:net';
import { type GateControlAccess, policyFromGateControl } from '../../policy/gatecontrol.ts';
import { RATE_LIMIT_WINDOWS } from '../../policy/schema.ts';
import { CONFIG_FILE_VERSION } from '../../schemas/config-file.ts';
import { mapPeerValues } from '../config-file/document.ts';
import { type Converted, ImportInputError, isRecord, list, str } from './common.ts';

/**
 * GateControl's backup JSON (its "Backup" download: `{ version: 2–5, created_at, data: { peers, routes,
 * route_auth, settings, … } }`, rows with their columns, references by peer name) → a configuration file
 * (docs/config-file.md) that goes through the same plan and apply. The access columns become a policy through
 * src/policy/gatecontrol.ts; whatever has no place here is listed in `unmapped` with the reason.
 */
const SUPPORTED = [2, 3, 4, 5];
/** Route columns that are plain defaults in GateControl: a non-default value is reported, not silently lost. */
const IGNORED_ROUTE_COLUMNS: Record<string, string> = {
  description: 'descriptions are not kept',
  branding_title: 'login page branding is not supported',
  branding_text: 'login page branding is not supported',
  branding_logo: 'login page branding is not supported',
  monitoring_enabled: 'uptime monitoring is not part of a route here',
  basic_auth_user: "GateControl's separate basic auth user is not supported (route users are)",
};

export function convertGateControlBackup(input: unknown): Converted {
  if (!isRecord(input) || !isRecord(input.data))
    throw new ImportInputError('not a GateControl backup: expected { version, data: { peers, routes, … } }');
  if (!SUPPORTED.includes(input.version as number))
    throw new ImportInputError(
      `GateControl backup version ${JSON.stringify(input.version)} is not one this importer reads (${SUPPORTED.join(', ')})`,
    );
  const data = input.data;
  const unmapped: string[] = [];
  const peers: Record<string, unknown>[] = [];
  const peerNames: string[] = [];

  list(data.peers, 'peers').forEach((p, i) => {
    const name = str(p.name);
    if (!name) {
      unmapped.push(`peers[${i}]: no name; skipped`);
      return;
    }
    const address = str(p.allowed_ips)?.split(',')[0]?.trim().replace(/\/32$/, '');
    const entry: Record<string, unknown> = { name, public_key: str(p.public_key) };
    if (address && isIPv4(address)) entry.address = address;
    else unmapped.push(`peer "${name}": allowed_ips ${JSON.stringify(p.allowed_ips)} is not one tunnel address`);
    const dns = str(p.dns)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (dns?.length) entry.dns = dns;
    if (typeof p.persistent_keepalive === 'number') entry.persistent_keepalive = p.persistent_keepalive;
    entry.enabled = p.enabled !== 0 && p.enabled !== false;
    const tags = str(p.tags)
      ?.split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean);
    if (tags?.length) entry.tags = tags;
    const expires = str(p.expires_at);
    if (expires)
      entry.expires_at = new Date(expires.includes('T') ? expires : `${expires.replace(' ', 'T')}Z`).toISOString();
    if (p.private_key_encrypted)
      unmapped.push(
        `peer "${name}": its private key is encrypted with GateControl's GC_ENCRYPTION_KEY; not imported (the tunnel works with the key the client has; its config cannot be downloaded here)`,
      );
    if (p.preshared_key_encrypted)
      unmapped.push(
        `peer "${name}": its preshared key is encrypted with GateControl's key; a new one is generated, so the client needs a new config`,
      );
    if (str(p.description)) unmapped.push(`peer "${name}": descriptions are not kept`);
    if (str(p.group_name)) unmapped.push(`peer "${name}": peer group "${p.group_name}" (use tags)`);
    peers.push(entry);
    peerNames.push(name);
  });

  const authByDomain = new Map(list(data.route_auth, 'route_auth').map((a) => [str(a.route_domain), a]));
  const routes: Record<string, unknown>[] = [];
  list(data.routes, 'routes').forEach((r, i) => {
    const isL4 = r.route_type === 'l4';
    const domain = str(r.domain) ?? null;
    const name = domain ?? (isL4 ? `${str(r.l4_protocol) ?? 'tcp'}-${str(r.l4_listen_port) ?? i}` : `route-${i}`);
    const where = `route "${name}"`;
    const peer = str(r.target_peer_name) ?? str(r.peer_name);
    const route: Record<string, unknown> = {
      name,
      type: isL4 ? 'l4' : 'http',
      enabled: r.enabled !== 0 && r.enabled !== false,
      domain,
      ...(peer && peerNames.includes(peer)
        ? { target_kind: 'peer', peer, target_port: r.target_port }
        : { target_kind: 'direct', target_host: str(r.target_ip), target_port: r.target_port }),
    };
    if (peer && !peerNames.includes(peer))
      unmapped.push(`${where}: its peer "${peer}" is not in the backup; targets ${r.target_ip} directly`);
    if (isL4) {
      route.l4_protocol = str(r.l4_protocol) ?? 'tcp';
      route.l4_listen_port = str(r.l4_listen_port) ?? String(r.l4_listen_port ?? '');
      route.l4_tls_mode = str(r.l4_tls_mode) ?? 'none';
    } else route.backend_https = r.backend_https === 1 || r.backend_https === true;

    const aclNames = (Array.isArray(r.acl_peer_names) ? r.acl_peer_names : []).filter(
      (n): n is string => typeof n === 'string',
    );
    for (const n of aclNames)
      if (!peerNames.includes(n)) unmapped.push(`${where}: ACL peer "${n}" is not in the backup; left out of the ACL`);
    const aclPeers = aclNames.filter((n) => peerNames.includes(n)).map((n) => peerNames.indexOf(n) + 1);
    let ipRules: GateControlAccess['ip_filter_rules'] = [];
    try {
      const parsed = typeof r.ip_filter_rules === 'string' ? JSON.parse(r.ip_filter_rules) : (r.ip_filter_rules ?? []);
      ipRules = (Array.isArray(parsed) ? parsed : []).filter(
        (x): x is GateControlAccess['ip_filter_rules'][number] =>
          isRecord(x) && ['ip', 'cidr', 'country'].includes(x.type as string) && typeof x.value === 'string',
      );
    } catch {
      unmapped.push(`${where}: ip_filter_rules is not JSON; the IP filter is left off`);
    }
    const windowOk = RATE_LIMIT_WINDOWS.includes(r.rate_limit_window as never);
    if (r.rate_limit_enabled && !windowOk)
      unmapped.push(
        `${where}: rate limit window ${JSON.stringify(r.rate_limit_window)} is not one of ${RATE_LIMIT_WINDOWS.join(', ')}; no rate limit`,
      );
    const auth = domain ? authByDomain.get(domain) : undefined;
    const users = authUsers(auth, where, unmapped);
    const access: GateControlAccess = {
      acl_enabled: Boolean(r.acl_enabled),
      acl_peers: aclPeers,
      ip_filter_enabled: r.ip_filter_enabled && ipRules.length > 0 ? true : Boolean(r.ip_filter_enabled),
      ip_filter_mode: r.ip_filter_mode === 'blacklist' ? 'blacklist' : 'whitelist',
      ip_filter_rules: ipRules,
      rate_limit_enabled: Boolean(r.rate_limit_enabled) && windowOk,
      rate_limit_requests: Number(r.rate_limit_requests) || 100,
      rate_limit_window: windowOk ? (r.rate_limit_window as GateControlAccess['rate_limit_window']) : '1m',
      auth_enabled: !isL4 && users.length > 0,
    };
    route.policy = mapPeerValues(policyFromGateControl(access), (id) => peerNames[Number(id) - 1] ?? id);
    if (users.length > 0) route.users = users;
    if (isL4 && r.l4_conn_limit)
      unmapped.push(
        `${where}: the L4 connection limit (${r.l4_conn_limit} per ${r.l4_conn_window_s}s) is not imported; set a rate limit in its policy`,
      );
    for (const [column, why] of Object.entries(IGNORED_ROUTE_COLUMNS))
      if (r[column] !== undefined && r[column] !== null && r[column] !== '' && r[column] !== 0)
        unmapped.push(`${where}: ${column} — ${why}`);
    if (r.basic_auth_enabled) unmapped.push(`${where}: basic auth with its own user is not imported`);
    routes.push(route);
  });

  for (const key of [
    'peer_groups',
    'users',
    'api_tokens',
    'webhooks',
    'rdp_routes',
    'service_bundles',
    'gateway_meta',
    'plugins',
    'tags',
    'settings',
  ]) {
    const rows = data[key];
    if (Array.isArray(rows) && rows.length > 0)
      unmapped.push(
        `${key}: ${rows.length} entr${rows.length === 1 ? 'y' : 'ies'} not imported (${UNMAPPED_SECTIONS[key] ?? 'no counterpart here'})`,
      );
  }
  return { doc: { version: CONFIG_FILE_VERSION, peers, routes }, unmapped };
}

const UNMAPPED_SECTIONS: Record<string, string> = {
  users: 'admin accounts are made here',
  api_tokens: 'tokens are secrets of the old server; make new ones',
  settings: "GateControl's settings do not carry over",
  gateway_meta: 'gateways pair again with a new token',
};

/** GateControl route_auth → route users; only argon2id hashes carry over (a user logs in with the same password). */
function authUsers(auth: Record<string, unknown> | undefined, where: string, unmapped: string[]) {
  if (!auth) return [];
  const email = str(auth.email);
  const hash = str(auth.password_hash);
  if (auth.two_factor_enabled)
    unmapped.push(
      `${where}: two-factor login (${str(auth.two_factor_method) ?? 'unknown'}) is not imported; set up TOTP for the user here`,
    );
  if (!email || !hash) {
    unmapped.push(
      `${where}: route auth "${str(auth.auth_type)}" without a password user is not imported; the route is open until a login is set up`,
    );
    return [];
  }
  if (!hash.startsWith('$argon2id$')) {
    unmapped.push(
      `${where}: the route auth password of ${email} is not an argon2id hash; not imported, the route is open until a login is set up`,
    );
    return [];
  }
  return [{ username: email, password_hash: hash }];
}
