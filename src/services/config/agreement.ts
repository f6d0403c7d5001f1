import { asc } from 'drizzle-orm';
import { appliedHash } from '../../caddy/data-plane.ts';
import { controlPlaneDial } from '../../caddy/route-auth.ts';
import { compileSnapshot } from '../../caddy/snapshot.ts';
import type { ServiceContext } from '../../context.ts';
import { gateways } from '../../db/schema/index.ts';
import { loadCompileInput } from './compile-input.ts';
import { currentVersion } from './version.ts';

export interface ConfigAgreement {
  /** True when Caddy and every gateway agent run what the database compiles to. */
  agrees: boolean;
  database: { version: number; hash: string };
  caddy: {
    reachable: boolean;
    version: number | null;
    hash: string | null;
    applied_at: string | null;
    agrees: boolean;
  };
  agents: {
    gateway_id: number;
    name: string;
    applied_version: number | null;
    last_seen_at: string | null;
    agrees: boolean;
  }[];
}

/**
 * "Database = Caddy = agents" in one answer: the config version and the hash of the snapshot the database
 * compiles to (compiled here exactly as the write path and the reconciler compile it), the version and hash
 * the module reports as applied (GET /gatehouse/v1/state), and the version each agent last reported.
 */
export async function configAgreement({ ctx }: { ctx: ServiceContext }): Promise<ConfigAgreement> {
  // The version and the rows are read apart; a write in between shows as a changed version, so read again.
  let version = await currentVersion(ctx.db);
  let hash = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const input = await loadCompileInput(ctx.db, version, ctx.hooks?.loadGateways, controlPlaneDial(ctx.config.listen));
    hash = appliedHash(compileSnapshot(input));
    const after = await currentVersion(ctx.db);
    if (after === version) break;
    version = after;
  }
  const state = await ctx.hooks?.dataPlane?.state().catch(() => undefined);
  const caddyAgrees = state !== undefined && state.version === version && state.hash === hash;
  const rows = await ctx.db
    .select({
      id: gateways.id,
      name: gateways.name,
      appliedVersion: gateways.appliedVersion,
      lastSeenAt: gateways.lastSeenAt,
    })
    .from(gateways)
    .orderBy(asc(gateways.id));
  const agents = rows.map((g) => ({
    gateway_id: g.id,
    name: g.name,
    applied_version: g.appliedVersion,
    last_seen_at: g.lastSeenAt?.toISOString() ?? null,
    agrees: g.appliedVersion === version,
  }));
  return {
    agrees: caddyAgrees && agents.every((a) => a.agrees),
    database: { version, hash },
    caddy: {
      reachable: state !== undefined,
      version: state?.version ?? null,
      hash: state?.hash ?? null,
      applied_at: state?.applied_at ?? null,
      agrees: caddyAgrees,
    },
    agents,
  };
}
