import { judgeTargetHost } from '@gatehouse/protocol';
import { inArray } from 'drizzle-orm';
import type { Tx } from '../../db/index.ts';
import { gateways, type Route } from '../../db/schema/index.ts';
import type { FieldIssue } from '../../errors.ts';
import type { Pool } from '../../pool/schema.ts';
import { checkGatewayTarget } from './targets.ts';

/**
 * A pool on its own (no database): each member's LAN host through the shared judge (stored normalised), no
 * gateway twice (the route's own gateway is member 0), the target range of an L4 range route within 65535.
 */
export function normalizePool(
  d: {
    type?: Route['type'] | undefined;
    gatewayId?: number | null | undefined;
    l4ListenPortStart?: number | null | undefined;
    l4ListenPortEnd?: number | null | undefined;
    pool?: Pool | null | undefined;
  },
  issue: (field: string, message: string) => void,
): Pool | null {
  if (!d.pool) return null;
  const seen = new Set(d.gatewayId ? [d.gatewayId] : []);
  const span =
    d.type === 'l4' && d.l4ListenPortStart ? (d.l4ListenPortEnd ?? d.l4ListenPortStart) - d.l4ListenPortStart : 0;
  const members = d.pool.members.map((m, i) => {
    const field = (name: string) => `pool.members.${i}.${name}`;
    if (seen.has(m.gateway_id))
      issue(field('gateway_id'), `gateway ${m.gateway_id} is in the pool twice (gateway_id is member 0)`);
    seen.add(m.gateway_id);
    const judged = judgeTargetHost(m.target_lan_host);
    if (judged.problem) issue(field('target_lan_host'), judged.problem);
    if (m.target_lan_port + span > 65535)
      issue(
        field('target_lan_port'),
        `the target range would end past 65535 (${span + 1} ports from ${m.target_lan_port})`,
      );
    return { ...m, target_lan_host: judged.host };
  });
  return { ...d.pool, members };
}

/** Each member gateway exists, and its LAN host lies in that gateway's lan_networks (as for gateway_id). */
export async function poolIssues(tx: Tx, pool: Pool | null | undefined): Promise<FieldIssue[]> {
  if (!pool) return [];
  const ids = pool.members.map((m) => m.gateway_id);
  const rows = await tx
    .select({ id: gateways.id, lanNetworks: gateways.lanNetworks })
    .from(gateways)
    .where(inArray(gateways.id, ids));
  const networks = new Map(rows.map((r) => [r.id, r.lanNetworks]));
  const issues: FieldIssue[] = [];
  pool.members.forEach((m, i) => {
    const lan = networks.get(m.gateway_id);
    if (!lan) {
      issues.push({ field: `pool.members.${i}.gateway_id`, message: `gateway ${m.gateway_id} does not exist` });
      return;
    }
    const checked = checkGatewayTarget(m.target_lan_host, lan);
    if (checked.problem) issues.push({ field: `pool.members.${i}.target_lan_host`, message: checked.problem });
  });
  return issues;
}
