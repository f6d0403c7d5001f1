import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { gateways, identityProviders, peers, policies, routes } from '../../db/schema/index.ts';
import type { PlanEntry } from '../../schemas/config-file.ts';
import type { PeerNetwork } from '../../wireguard/runtime.ts';
import { recordAudit } from '../audit/record.ts';
import { pushConfigInTx } from '../config/change.ts';
import { checkPeer } from '../gateways/create.ts';
import { assertRoutesInsideLanNetworks } from '../gateways/lan-networks.ts';
import { newGatewayToken } from '../gateways/public.ts';
import { applyPeers } from '../peers/apply.ts';
import { assertPolicyFits } from '../policies/checks.ts';
import { applyPeerEntry } from './apply-peers.ts';
import { applyRouteEntry, type IdMaps } from './apply-routes.ts';
import { updateSettingsInTx } from './apply-settings.ts';
import { desiredState } from './desired.ts';
import { mapPeerValues, readCanonical } from './document.ts';
import type { ParsedConfigFile } from './parse.ts';
import { computePlan, formatPlan } from './plan.ts';

export interface ApplyOptions {
  prune: boolean;
  /** Plan only: computed in a transaction that writes nothing. */
  dryRun: boolean;
  /** The WireGuard interface, when this process runs it (the server); the CLI leaves it to the server. */
  network?: PeerNetwork | undefined;
}

export interface ApplyResult {
  entries: PlanEntry[];
  text: string;
  applied: boolean;
  config_version: number | null;
  data_plane: 'applied' | 'pending' | 'unchanged';
  /** Tokens of gateways created by this apply: shown once, like POST /gateways. */
  gateway_tokens: { name: string; token: string }[];
}

class PlanOnly extends Error {}

/**
 * Plan and apply a configuration file in ONE transaction: read the server's state, compute the plan, write
 * every entry through the services' own checks (route drafts, peers, policies), then ONE data-plane push. Any
 * error rolls everything back; a plan-only run rolls back on purpose, so it sees exactly what apply would.
 */
export async function applyConfigFile(
  ctx: ServiceContext,
  parsed: ParsedConfigFile,
  opts: ApplyOptions,
): Promise<ApplyResult> {
  const tokens: ApplyResult['gateway_tokens'] = [];
  let result: ApplyResult | undefined;
  try {
    const outcome = await ctx.db.transaction(async (tx) => {
      const current = await readCanonical(tx, ctx.config, true);
      const keep = (section: 'peers' | 'gateways' | 'policies') =>
        opts.prune ? [] : current[section].map((e) => e.name);
      const desired = desiredState(parsed, ctx.config, {
        peers: keep('peers'),
        gateways: keep('gateways'),
        policies: keep('policies'),
        providers: await tx
          .select({ name: identityProviders.name, forRoutes: identityProviders.forRoutes })
          .from(identityProviders),
      });
      const entries = computePlan(current, desired.doc, opts.prune);
      result = {
        entries,
        text: formatPlan(entries),
        applied: false,
        config_version: null,
        data_plane: 'unchanged',
        gateway_tokens: tokens,
      };
      if (opts.dryRun || entries.length === 0) throw new PlanOnly();

      const byKind = (kind: PlanEntry['kind'], action?: PlanEntry['action']) =>
        entries.filter((e) => e.kind === kind && (action === undefined || e.action === action));
      const desiredOf = (section: 'peers' | 'gateways' | 'policies' | 'routes', name: string) =>
        desired.doc[section].find((e) => e.name === name)!;

      if (byKind('settings').length > 0) await updateSettingsInTx(ctx, tx, desired.doc.settings);
      for (const e of [...byKind('peer', 'create'), ...byKind('peer', 'change')])
        await applyPeerEntry(ctx, tx, desiredOf('peers', e.name), parsed);

      const ids = await idMaps(tx);
      const peerId = (name: string) => String(ids.peers.get(name));
      for (const e of [...byKind('policy', 'create'), ...byKind('policy', 'change')]) {
        const p = desiredOf('policies', e.name) as unknown as (typeof desired.doc.policies)[number];
        const policy = mapPeerValues(p.policy as never, peerId);
        await assertPolicyFits(tx, policy, []);
        const now = ctx.now();
        const existing = ids.policies.get(e.name);
        if (existing === undefined) {
          const [row] = await tx
            .insert(policies)
            .values({ name: p.name, description: p.description as string, policy, createdAt: now, updatedAt: now })
            .returning({ id: policies.id });
          ids.policies.set(e.name, row!.id);
        } else
          await tx
            .update(policies)
            .set({ description: p.description as string, policy, updatedAt: now })
            .where(eq(policies.id, existing));
      }
      for (const e of [...byKind('gateway', 'create'), ...byKind('gateway', 'change')]) {
        const g = desiredOf('gateways', e.name);
        const values = {
          peerId: g.peer ? (ids.peers.get(g.peer as string) ?? null) : null,
          lanNetworks: g.lan_networks as string[],
          updatedAt: ctx.now(),
        };
        const existing = ids.gateways.get(e.name);
        if (values.peerId !== null) await checkPeer(tx, values.peerId, existing);
        if (existing !== undefined) await tx.update(gateways).set(values).where(eq(gateways.id, existing));
        else {
          const secret = newGatewayToken();
          const [row] = await tx
            .insert(gateways)
            .values({
              name: g.name,
              ...values,
              tokenHash: secret.hash,
              tokenPrefix: secret.prefix,
              createdAt: ctx.now(),
            })
            .returning({ id: gateways.id });
          ids.gateways.set(e.name, row!.id);
          tokens.push({ name: g.name, token: secret.token });
        }
      }
      for (const e of [...byKind('route', 'create'), ...byKind('route', 'change')])
        await applyRouteEntry(ctx, tx, {
          entry: desiredOf('routes', e.name),
          plan: desired.routes.get(e.name)!,
          ids,
          parsed,
        });

      for (const e of byKind('gateway', 'change'))
        await assertRoutesInsideLanNetworks(
          tx,
          ids.gateways.get(e.name)!,
          desiredOf('gateways', e.name).lan_networks as string[],
        );

      // Deletes: routes first (their users and sessions cascade), peers last.
      for (const e of byKind('route', 'delete')) await tx.delete(routes).where(eq(routes.name, e.name));
      for (const e of byKind('gateway', 'delete')) await tx.delete(gateways).where(eq(gateways.name, e.name));
      for (const e of byKind('policy', 'delete')) await tx.delete(policies).where(eq(policies.name, e.name));
      for (const e of byKind('peer', 'delete')) await tx.delete(peers).where(eq(peers.name, e.name));

      await recordAudit({
        ctx,
        tx,
        input: { action: 'config.apply', resourceType: 'config', after: { file: parsed.filename, plan: entries } },
      });
      if (opts.network) await applyPeers({ tx, network: opts.network, now: ctx.now() });
      return pushConfigInTx(ctx, tx);
    });
    ctx.hooks?.published?.(outcome.version);
    return { ...result!, applied: true, config_version: outcome.version, data_plane: outcome.data_plane };
  } catch (err) {
    if (err instanceof PlanOnly) return result!;
    throw err;
  }
}

async function idMaps(tx: Tx): Promise<IdMaps> {
  const pairs = async (
    table: typeof peers | typeof gateways | typeof policies | typeof routes | typeof identityProviders,
  ) => new Map((await tx.select({ id: table.id, name: table.name }).from(table)).map((r) => [r.name, r.id]));
  return {
    peers: await pairs(peers),
    gateways: await pairs(gateways),
    policies: await pairs(policies),
    routes: await pairs(routes),
    providers: await pairs(identityProviders),
  };
}
