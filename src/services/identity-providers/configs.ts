import type { Configuration } from 'openid-client';
import type { Config } from '../../config/index.ts';
import type { IdentityProvider } from '../../db/schema/index.ts';
import { discover, ProviderError } from '../../oidc/client.ts';
import { providerSettings } from './public.ts';

const FRESH_MS = 10 * 60 * 1000;
const MAX_ENTRIES = 100;

/**
 * Discovered provider configurations, kept 10 minutes per provider version (`updated_at`), so a login does not
 * fetch the discovery document twice. A failure is remembered too (`lastFailure`): the login page says which
 * provider did not answer without asking it again on every page view.
 */
const cache = new Map<string, { config: Configuration; at: number }>();
const failures = new Map<number, { message: string; at: number }>();

export async function providerConfig(config: Config, row: IdentityProvider, now: number): Promise<Configuration> {
  const key = `${row.id}:${row.updatedAt.getTime()}`;
  const hit = cache.get(key);
  if (hit && now - hit.at < FRESH_MS) return hit.config;
  try {
    const discovered = await discover(providerSettings(config, row));
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(key, { config: discovered, at: now });
    failures.delete(row.id);
    return discovered;
  } catch (err) {
    if (err instanceof ProviderError) noteFailure(row.id, err, now);
    throw err;
  }
}

export function noteFailure(providerId: number, err: ProviderError, now: number): void {
  if (err.kind !== 'unreachable') return;
  for (const [key] of cache) if (key.startsWith(`${providerId}:`)) cache.delete(key);
  failures.set(providerId, { message: err.message, at: now });
}

/** The provider's last "did not answer", when it is less than 10 minutes old. */
export function recentFailure(providerId: number, now: number): string | null {
  const failure = failures.get(providerId);
  return failure && now - failure.at < FRESH_MS ? failure.message : null;
}

export function forgetProviderConfigs(): void {
  cache.clear();
  failures.clear();
}
