// Real: the static-config builder and loadConfig. The access log goes through the buffered writer
// (caddy-module/buffered_writer.go) with Caddy's file writer's rolling fields; the Go side is tested in
// caddy-module/log_buffer_test.go, the whole path in test/integration/access-log-live.test.ts.
import { describe, expect, it } from 'vitest';
import {
  ACCESS_LOG_BUFFER_BYTES,
  ACCESS_LOG_FLUSH_MS,
  ACCESS_LOGGER,
  staticCaddyConfig,
} from '../../src/caddy/static-config.ts';
import { loadConfig } from '../../src/config/index.ts';

describe('access log writer', () => {
  it('writes the access log through gatehouse_buffered, keeping the file writer rolling', () => {
    const config = loadConfig({ GATEHOUSE_DATA_DIR: '/srv/gh' });
    const logging = staticCaddyConfig({ ...config, l4ListenHost: '', publicDomain: undefined }).logging as {
      logs: Record<string, { writer?: Record<string, unknown>; include?: string[]; exclude?: string[] }>;
    };
    const access = logging.logs.gatehouse_access;
    expect(access?.include).toEqual([ACCESS_LOGGER]);
    expect(logging.logs.default?.exclude).toEqual([ACCESS_LOGGER]);
    expect(access?.writer).toMatchObject({
      output: 'gatehouse_buffered',
      buffer_size: ACCESS_LOG_BUFFER_BYTES,
      flush_interval: `${ACCESS_LOG_FLUSH_MS}ms`,
      filename: config.accessLog.file,
      roll: true,
      roll_size_mb: config.accessLog.rollMb,
      roll_keep: config.accessLog.rollKeep,
    });
    // within the Go module's limits (4 KiB..16 MiB, 10 ms..10 s)
    expect(ACCESS_LOG_BUFFER_BYTES).toBeGreaterThanOrEqual(4096);
    expect(ACCESS_LOG_FLUSH_MS).toBeGreaterThanOrEqual(10);
    expect(ACCESS_LOG_FLUSH_MS).toBeLessThanOrEqual(10_000);
  });
});
