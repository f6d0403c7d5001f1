/**
 * GATEHOUSE_CADDY_STORAGE_REDIS, parsed (the Caddy side is src/caddy/redis-storage.ts).
 * Certificates shared between edges (docs/scaling.md): Caddy's storage in Redis through the module
 * github.com/pberkel/caddy-storage-redis (compiled into our Caddy, caddy-module/cmd/caddy). Every edge then
 * sees the same certificates and ACME locks, so a certificate is issued once. Redis is never on the request
 * path: Caddy reads certificates into memory. Values are encrypted with a key derived from the Gatehouse secret
 * key, which every edge shares already (sealed secrets in the shared database); rotating that key makes the
 * stored certificates unreadable, and Caddy issues new ones.
 *
 * GATEHOUSE_CADDY_STORAGE_REDIS: `redis://[user[:password]@]host:port[/db]`, `rediss://` for TLS, or for
 * Redis Sentinel `redis://[…@]sentinel1:26379,sentinel2:26379[/db]?master=NAME`.
 */
export interface RedisStorageTarget {
  tls: boolean;
  addresses: string[];
  username: string | undefined;
  password: string | undefined;
  db: number;
  master: string | undefined;
}

const PATTERN =
  /^(redis|rediss):\/\/(?:([^:@/\s]*)(?::([^@/\s]*))?@)?([^/?@\s]+)(?:\/(\d{1,2}))?(?:\?master=([A-Za-z0-9._-]{1,64}))?$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/;

/** Parses the variable; returns a message naming what is wrong (the config schema reports it). */
export function parseRedisStorageUrl(value: string): RedisStorageTarget | string {
  if (value.length > 2048) return 'must be at most 2048 characters';
  const m = PATTERN.exec(value);
  if (!m) return 'must be redis://[user[:password]@]host:port[/db][?master=NAME] (or rediss:// for TLS)';
  const addresses = m[4]!.split(',');
  if (addresses.length > 8) return 'at most 8 addresses';
  for (const address of addresses) {
    const hp = HOST_PORT.exec(address);
    if (!hp || Number(hp[2]) < 1 || Number(hp[2]) > 65535) return `"${address}" is not host:port`;
  }
  const db = m[5] === undefined ? 0 : Number(m[5]);
  if (db > 15) return 'the database number must be 0–15';
  if (addresses.length > 1 && !m[6]) return 'several addresses need ?master=NAME (Redis Sentinel)';
  const decode = (s: string | undefined) => (s === undefined || s === '' ? undefined : decodeURIComponent(s));
  return { tls: m[1] === 'rediss', addresses, username: decode(m[2]), password: decode(m[3]), db, master: m[6] };
}
