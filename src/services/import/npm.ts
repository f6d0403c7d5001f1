import { isIP } from 'node:net';
import type { Policy, PolicyRule } from '../../policy/schema.ts';
import { CONFIG_FILE_VERSION } from '../../schemas/config-file.ts';
import { type Converted, ImportInputError, isRecord, list, str } from './common.ts';

/**
 * Nginx Proxy Manager → a configuration file (docs/config-file.md), for the same plan and apply. Two inputs:
 * its API listings in one object — `{ proxy_hosts, streams, access_lists }` as GET /api/nginx/proxy-hosts,
 * /api/nginx/streams and /api/nginx/access-lists?expand=items,clients return them — or its database tables
 * exported as JSON — `{ proxy_host, stream, access_list, access_list_client, access_list_auth }` (domain_names
 * and meta as JSON text, deleted rows flagged `is_deleted`). Proxy hosts become HTTP routes (one per domain
 * name), streams L4 routes (one per protocol), access lists' client rules policies. Everything else is listed.
 */
export function convertNpmExport(input: unknown): Converted {
  if (!isRecord(input)) throw new ImportInputError('not an Nginx Proxy Manager export: expected an object');
  const fromDb = 'proxy_host' in input || 'stream' in input;
  const hosts = list(fromDb ? input.proxy_host : input.proxy_hosts, 'proxy_hosts').filter((h) => !h.is_deleted);
  const streams = list(fromDb ? input.stream : input.streams, 'streams').filter((s) => !s.is_deleted);
  const lists = list(fromDb ? input.access_list : input.access_lists, 'access_lists').filter((a) => !a.is_deleted);
  if (hosts.length + streams.length + lists.length === 0 && !('proxy_hosts' in input) && !fromDb)
    throw new ImportInputError(
      'not an Nginx Proxy Manager export: expected proxy_hosts/streams/access_lists (API) or proxy_host/stream/access_list (database)',
    );
  const clientsOf = (listId: unknown, row: Record<string, unknown>) =>
    fromDb
      ? list(input.access_list_client, 'access_list_client').filter((c) => c.access_list_id === listId)
      : list(row.clients, 'access_lists.clients');
  const authOf = (listId: unknown, row: Record<string, unknown>) =>
    fromDb
      ? list(input.access_list_auth, 'access_list_auth').filter((c) => c.access_list_id === listId)
      : list(row.items, 'access_lists.items');

  const unmapped: string[] = [];
  const policies = new Map<unknown, { name: string; policy: Policy }>();
  for (const a of lists) {
    const name = str(a.name) ?? `access list ${a.id}`;
    const rules: PolicyRule[] = [];
    let defaultAction: 'allow' | 'deny' = 'allow';
    for (const c of clientsOf(a.id, a)) {
      const address = str(c.address);
      const action = c.directive === 'deny' ? 'deny' : 'allow';
      if (address === 'all') {
        defaultAction = action;
        continue;
      }
      if (!address) continue;
      const type = address.includes('/') ? 'cidr' : isIP(address) ? 'ip' : undefined;
      if (!type) {
        unmapped.push(`access list "${name}": client ${JSON.stringify(address)} is not an address or CIDR`);
        continue;
      }
      rules.push({ action, conditions: [{ type, values: [address] }] });
      // nginx ends a list of allows with "deny all" (NPM writes it): no match means no entry.
      if (action === 'allow') defaultAction = 'deny';
    }
    const users = authOf(a.id, a);
    if (users.length > 0)
      unmapped.push(
        `access list "${name}": ${users.length} basic auth user(s) not imported (NPM keeps htpasswd hashes; add route users here)${a.satisfy_any ? '; "satisfy any" (address OR login) has no counterpart' : ''}`,
      );
    policies.set(a.id, { name, policy: { rules, default: defaultAction } });
  }

  const routes: Record<string, unknown>[] = [];
  const used = new Set<unknown>();
  for (const h of hosts) {
    const domains = parseJsonText(h.domain_names);
    const host = str(h.forward_host);
    const port = Number(h.forward_port);
    const listRef = policies.get(h.access_list_id);
    if (listRef) used.add(h.access_list_id);
    else if (h.access_list_id)
      unmapped.push(`proxy host ${h.id}: access list ${h.access_list_id} is not in the export; no policy`);
    for (const domain of (Array.isArray(domains) ? domains : []).filter((d): d is string => typeof d === 'string')) {
      routes.push({
        name: domain,
        type: 'http',
        enabled: h.enabled !== 0 && h.enabled !== false,
        domain,
        target_kind: 'direct',
        target_host: host,
        target_port: port,
        backend_https: h.forward_scheme === 'https',
        ...(listRef ? { policy: listRef.name } : {}),
      });
    }
    const where = `proxy host ${h.id} (${(Array.isArray(domains) ? domains : []).join(', ')})`;
    if (str(h.advanced_config)) unmapped.push(`${where}: its advanced nginx config is not imported`);
    const locations = parseJsonText(h.locations);
    if (Array.isArray(locations) && locations.length > 0)
      unmapped.push(`${where}: ${locations.length} custom location(s) not imported`);
    if (h.caching_enabled) unmapped.push(`${where}: caching is not supported`);
    if (h.block_exploits) unmapped.push(`${where}: "block common exploits" has no counterpart`);
    if (h.certificate_id && h.certificate_id !== 'new')
      unmapped.push(`${where}: its certificate is not imported (Caddy gets one automatically)`);
  }
  const policyEntries = [...policies.entries()]
    .filter(([id]) => used.has(id))
    .map(([, p]) => ({ name: p.name, policy: p.policy }));
  for (const [id, p] of policies)
    if (!used.has(id)) unmapped.push(`access list "${p.name}": no proxy host uses it; not imported`);

  for (const s of streams) {
    const protocols = [s.tcp_forwarding ? 'tcp' : undefined, s.udp_forwarding ? 'udp' : undefined].filter(Boolean);
    if (protocols.length === 0) unmapped.push(`stream ${s.id}: neither TCP nor UDP forwarding is on; skipped`);
    for (const protocol of protocols)
      routes.push({
        name: `stream-${s.incoming_port}${protocols.length > 1 ? `-${protocol}` : ''}`,
        type: 'l4',
        enabled: s.enabled !== 0 && s.enabled !== false,
        l4_protocol: protocol,
        l4_listen_port: String(s.incoming_port),
        target_kind: 'direct',
        target_host: str(s.forwarding_host) ?? str(s.forward_ip),
        target_port: Number(s.forwarding_port),
      });
  }
  for (const key of [
    'redirection_hosts',
    'dead_hosts',
    'certificates',
    'users',
    'redirection_host',
    'dead_host',
    'certificate',
    'user',
  ])
    if (Array.isArray(input[key]) && (input[key] as unknown[]).length > 0)
      unmapped.push(`${key}: ${(input[key] as unknown[]).length} not imported (no counterpart here)`);
  return { doc: { version: CONFIG_FILE_VERSION, policies: policyEntries, routes }, unmapped };
}

/** NPM's database keeps lists as JSON text; its API returns them parsed. */
function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
