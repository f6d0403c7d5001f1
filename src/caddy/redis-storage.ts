import type { RedisStorageTarget } from '../config/redis-storage-url.ts';

/**
 * Caddy's certificate storage in Redis (github.com/pberkel/caddy-storage-redis, compiled into our Caddy):
 * what it is for and how the variable reads is in src/config/redis-storage-url.ts and docs/scaling.md.
 */
/** Caddy's top-level `storage` for the target; `encryptionKey` is 32 characters (the module's requirement). */
export function redisStorageConfig(target: RedisStorageTarget, encryptionKey: string): Record<string, unknown> {
  if (encryptionKey.length !== 32) throw new Error('the Redis storage encryption key must be 32 characters');
  return {
    module: 'redis',
    client_type: target.master ? 'failover' : 'simple',
    address: target.addresses,
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.master ? { master_name: target.master } : {}),
    key_prefix: 'gatehouse',
    encryption_key: encryptionKey,
    tls_enabled: target.tls,
    timeout: '5',
  };
}
