import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { createIdentityProvider } from '../../src/services/identity-providers/save.ts';
import { ID_OFFSETS } from './id-offsets.ts';

export interface TestAccount {
  email?: string;
  name?: string;
  groups?: string[];
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  stop: () => Promise<void>;
}

/**
 * Starts test/helpers/oidc-provider-server.mjs (the real `oidc-provider`) on loopback with one confidential
 * client. `redirectUris` must list the exact callbacks Gatehouse will use; `clockShiftSeconds` moves only the
 * provider's clock. Stopped by `stop()` (also on process exit).
 */
export async function startTestProvider(opts: {
  redirectUris: string[];
  accounts: Record<string, TestAccount>;
  clockShiftSeconds?: number;
  port?: number;
}): Promise<TestProvider> {
  const clientId = 'gatehouse-test';
  const clientSecret = 'test-client-secret-0123456789';
  const child: ChildProcess = spawn(process.execPath, [path.join(import.meta.dirname, 'oidc-provider-server.mjs')], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      CLOCK_SHIFT_SECONDS: String(opts.clockShiftSeconds ?? 0),
      OIDC_PORT: String(opts.port ?? 0),
      OIDC_ACCOUNTS: JSON.stringify(opts.accounts),
      OIDC_CLIENTS: JSON.stringify([
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: opts.redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ]),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const timer = setTimeout(kill, 15_000);
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => {
      throw new Error(`the test OpenID provider exited: ${stderr}`);
    }),
  ])) as [string];
  clearTimeout(timer);
  const { issuer } = JSON.parse(first) as { issuer: string };
  return {
    issuer,
    clientId,
    clientSecret,
    stop: async () => {
      process.removeListener('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timeout = setTimeout(kill, 3000);
      await once(child, 'exit');
      clearTimeout(timeout);
    },
  };
}

/** The callbacks a test registers: ids 1–20 and the first 20 after the test databases' id offset. */
export function callbackCandidates(origin: string): string[] {
  const first = ID_OFFSETS.identity_providers! + 1;
  const ids = [...Array.from({ length: 20 }, (_, i) => i + 1), ...Array.from({ length: 20 }, (_, i) => first + i)];
  return ids.map((id) => `${origin}/login/oidc/${id}/callback`);
}

type ProviderInput = Parameters<typeof createIdentityProvider>[0]['input'];

/**
 * What registers the test provider with Gatehouse (createIdentityProvider's input): name "Test IdP", the
 * usual scopes and claims, no group roles, for routes only; `overrides` sets what a test varies.
 */
export function testProviderInput(provider: TestProvider, overrides: Partial<ProviderInput> = {}): ProviderInput {
  return {
    name: 'Test IdP',
    issuer: provider.issuer,
    client_id: provider.clientId,
    client_secret: provider.clientSecret,
    scopes: 'openid email profile groups',
    email_claim: 'email',
    groups_claim: 'groups',
    group_roles: [],
    for_dashboard: false,
    for_routes: true,
    ...overrides,
  };
}
