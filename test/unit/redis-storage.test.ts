// Issue 21: certificates shared between edges through Caddy's Redis storage. Real: the variable's parser and
// the static Caddy config built from it. The live check (two Caddys, one certificate) is
// test/integration/caddy-redis-storage.test.ts.
import { describe, expect, it } from 'vitest';
import { staticCaddyConfig } from '../../src/caddy/static-config.ts';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { parseRedisStorageUrl } from '../../src/config/redis-storage-url.ts';

const KEY = 'k'.repeat(32);

describe('GATEHOUSE_CADDY_STORAGE_REDIS', () => {
  it('reads plain, TLS, authenticated and Sentinel URLs', () => {
    expect(parseRedisStorageUrl('redis://127.0.0.1:6379')).toEqual({
      tls: false,
      addresses: ['127.0.0.1:6379'],
      username: undefined,
      password: undefined,
      db: 0,
      master: undefined,
    });
    expect(parseRedisStorageUrl('rediss://gate:p%40ss@redis.internal:6380/3')).toMatchObject({
      tls: true,
      username: 'gate',
      password: 'p@ss',
      db: 3,
    });
    expect(parseRedisStorageUrl('redis://:secret@s1:26379,s2:26379,[::1]:26379?master=certs')).toMatchObject({
      addresses: ['s1:26379', 's2:26379', '[::1]:26379'],
      password: 'secret',
      master: 'certs',
    });
  });

  it('names what is wrong in hostile or broken values', () => {
    expect(parseRedisStorageUrl('http://x:1')).toMatch(/must be redis:\/\//);
    expect(parseRedisStorageUrl('redis://host')).toMatch(/not host:port/);
    expect(parseRedisStorageUrl('redis://host:99999')).toMatch(/not host:port/);
    expect(parseRedisStorageUrl('redis://host:6379/16')).toMatch(/0–15/);
    expect(parseRedisStorageUrl('redis://a:1,b:2')).toMatch(/master=NAME/);
    expect(parseRedisStorageUrl('redis://a:1?master=x;rm')).toMatch(/must be redis:\/\//);
    expect(parseRedisStorageUrl(`redis://${'a'.repeat(3000)}:1`)).toMatch(/2048/);
    expect(parseRedisStorageUrl('redis://a b:1')).toMatch(/must be redis:\/\//);
    expect(() => loadConfig({ GATEHOUSE_DATA_DIR: '/tmp/x', GATEHOUSE_CADDY_STORAGE_REDIS: 'redis://nope' })).toThrow(
      ConfigError,
    );
  });

  it('puts Caddy storage in Redis, encrypted, only when set', () => {
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: '/tmp/x',
      GATEHOUSE_CADDY_STORAGE_REDIS: 'redis://127.0.0.1:6379/2',
    });
    const input = {
      caddy: config.caddy,
      listen: config.listen,
      publicDomain: undefined,
      l4ListenHost: '',
      geoipDb: undefined,
      redisStorageKey: KEY,
    };
    expect(staticCaddyConfig(input).storage).toEqual({
      module: 'redis',
      client_type: 'simple',
      address: ['127.0.0.1:6379'],
      db: 2,
      key_prefix: 'gatehouse',
      encryption_key: KEY,
      tls_enabled: false,
      timeout: '5',
    });
    const plain = loadConfig({ GATEHOUSE_DATA_DIR: '/tmp/x' });
    expect(staticCaddyConfig({ ...input, caddy: plain.caddy }).storage).toBeUndefined();
  });
});
