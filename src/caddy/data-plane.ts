import { createHash } from 'node:crypto';
import { UpstreamRejectedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type CaddyAdminClient, CaddyAdminError } from './admin-client.ts';
import type { Snapshot } from './snapshot.ts';

export interface ModuleState {
  version: number;
  hash: string;
  applied_at: string | null;
}

export type ApplyResult =
  | { status: 'applied' }
  | { status: 'pending'; reason: string }
  | { status: 'stale'; current: number };

/**
 * The hash the module reports for a snapshot it applied: SHA-256 of the body as sent (`JSON.stringify`, what
 * the admin client puts on the wire; caddy-module/decode.go snapshotHash). Equal hashes mean Caddy runs exactly
 * what the database compiles to.
 */
export function appliedHash(snapshot: Snapshot): string {
  return createHash('sha256').update(JSON.stringify(snapshot)).digest('hex');
}

/**
 * The control plane's handle on the gatehouse module's admin API (`/gatehouse/v1/` on the unix socket).
 * `apply` distinguishes a rejection (422: our bug or bad data — the caller rolls back) from Caddy being down
 * (the change is accepted as pending; the reconciler applies it when Caddy is back).
 */
export class DataPlane {
  /** The highest version ever pushed or seen applied: new versions must exceed it (the module refuses older). */
  highestVersion = 0;
  appliedVersion: number | null = null;

  constructor(
    private readonly admin: CaddyAdminClient | undefined,
    private readonly isRunning: () => boolean,
    private readonly logger: Logger,
  ) {}

  get available(): boolean {
    return this.admin !== undefined && this.isRunning();
  }

  async apply(snapshot: Snapshot): Promise<ApplyResult> {
    if (!this.admin || !this.isRunning()) return { status: 'pending', reason: 'caddy is not running' };
    this.highestVersion = Math.max(this.highestVersion, snapshot.version);
    let res: Awaited<ReturnType<CaddyAdminClient['request']>>;
    try {
      res = await this.admin.request('PUT', '/gatehouse/v1/state', snapshot);
    } catch (err) {
      if (err instanceof CaddyAdminError) return { status: 'pending', reason: err.message };
      throw err;
    }
    if (res.status === 200) {
      this.appliedVersion = snapshot.version;
      return { status: 'applied' };
    }
    if (res.status === 422) {
      const errors = (res.body as { errors?: { path: string; message: string }[] }).errors ?? [];
      throw new UpstreamRejectedError(
        `the data plane rejected the configuration: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        { data_plane_errors: errors },
      );
    }
    if (res.status === 409) {
      const current = Number((res.body as { current_version?: number }).current_version ?? 0);
      this.highestVersion = Math.max(this.highestVersion, current);
      return { status: 'stale', current };
    }
    this.logger.warn({ status: res.status, body: res.body }, 'unexpected answer to PUT /gatehouse/v1/state');
    return { status: 'pending', reason: `caddy answered ${res.status}` };
  }

  async state(): Promise<ModuleState | undefined> {
    if (!this.admin || !this.isRunning()) return undefined;
    const res = await this.admin.request<ModuleState>('GET', '/gatehouse/v1/state');
    if (res.status !== 200) return undefined;
    this.highestVersion = Math.max(this.highestVersion, res.body.version);
    this.appliedVersion = res.body.version;
    return res.body;
  }

  /** The module's health: listeners, route counts, the GeoIP database it loaded. */
  async health(): Promise<Record<string, unknown> | undefined> {
    if (!this.admin || !this.isRunning()) return undefined;
    const res = await this.admin.request<Record<string, unknown>>('GET', '/gatehouse/v1/health');
    return res.status === 200 ? res.body : undefined;
  }

  /** Open L4 connections and UDP sessions the module tracks (caddy-module/connections.go), one route or all. */
  async connections(routeId?: string): Promise<{ status: number; body: unknown }> {
    if (!this.admin || !this.isRunning()) return { status: 503, body: { error: 'caddy is not running' } };
    const query = routeId ? `?${new URLSearchParams({ route: routeId })}` : '';
    const res = await this.admin.request('GET', `/gatehouse/v1/connections${query}`);
    return { status: res.status, body: res.body };
  }

  /** Connections/requests and bytes per route and pool member since the module started (caddy-module/traffic.go). */
  async traffic(routeId: string): Promise<{ status: number; body: unknown }> {
    if (!this.admin || !this.isRunning()) return { status: 503, body: { error: 'caddy is not running' } };
    const res = await this.admin.request('GET', `/gatehouse/v1/traffic?${new URLSearchParams({ route: routeId })}`);
    return { status: res.status, body: res.body };
  }

  /** An HTTP route's recent clients (caddy-module/clients.go). */
  async clients(routeId: string): Promise<{ status: number; body: unknown }> {
    if (!this.admin || !this.isRunning()) return { status: 503, body: { error: 'caddy is not running' } };
    const res = await this.admin.request('GET', `/gatehouse/v1/clients?${new URLSearchParams({ route: routeId })}`);
    return { status: res.status, body: res.body };
  }

  /** Closes one open connection; 404 when it has ended already. */
  async closeConnection(id: number): Promise<number> {
    if (!this.admin || !this.isRunning()) return 503;
    return (await this.admin.request('DELETE', `/gatehouse/v1/connections/${id}`)).status;
  }

  /**
   * The module's own answer: the same code path that enforces, so the two can never disagree. `at` (RFC 3339),
   * `method` and `path` make the question a request at a time (docs/snapshot.md, explain).
   */
  async explain(routeId: string, ip: string, extra: ExplainExtra = {}): Promise<{ status: number; body: unknown }> {
    if (!this.admin || !this.isRunning()) return { status: 503, body: { error: 'caddy is not running' } };
    const query = new URLSearchParams({ route: routeId, ip });
    for (const key of ['at', 'method', 'path'] as const) {
      const value = extra[key];
      if (value !== undefined) query.set(key, value);
    }
    const res = await this.admin.request('GET', `/gatehouse/v1/explain?${query}`);
    return { status: res.status, body: res.body };
  }

  /** The same decision for a policy no route carries (yet): `POST /gatehouse/v1/explain`. */
  async explainPolicy(question: PolicyQuestion): Promise<{ status: number; body: unknown }> {
    if (!this.admin || !this.isRunning()) return { status: 503, body: { error: 'caddy is not running' } };
    const res = await this.admin.request('POST', '/gatehouse/v1/explain', question);
    return { status: res.status, body: res.body };
  }
}

export interface ExplainExtra {
  at?: string | undefined;
  method?: string | undefined;
  path?: string | undefined;
}

/** The body of `POST /gatehouse/v1/explain`: a snapshot-form policy and the request to decide. */
export interface PolicyQuestion extends ExplainExtra {
  policy: unknown;
  kind: 'http' | 'l4';
  ip: string;
}
