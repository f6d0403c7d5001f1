import { and, eq, isNotNull, or, type SQL, sql } from 'drizzle-orm';
import { usesForwardPort } from '../../caddy/snapshot.ts';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { gateways as gatewaysTable, peers, routes } from '../../db/schema/index.ts';
import { ConflictError, ValidationError } from '../../errors.ts';
import type { RouteFields } from '../../schemas/routes.ts';
import { routeAuthIssues, routeAuthProblems } from '../route-auth/rules.ts';
import { accessIssues, routeUsesLogin } from './access.ts';
import { allocateGatewayPort, checkConflicts } from './conflicts.ts';
import { poolIssues } from './pool.ts';
import { normalizeDraft, type RouteDraft } from './resolve.ts';
import { checkGatewayTarget } from './targets.ts';

/**
 * Everything between "the fields parse" and "write the row": normalise, check references (peers, gateways,
 * the policy and the peers it names) and conflicts with the other routes, allocate the gateway forwarding port. Runs inside the
 * write transaction so the checks see what the write will see.
 */
export async function prepareRoute({
  ctx,
  tx,
  draft,
  selfId,
  fields,
}: {
  ctx: ServiceContext;
  tx: Tx;
  draft: RouteDraft;
  selfId?: number;
  /** The request's fields, to name the field a policy problem came from. */
  fields?: RouteFields;
}) {
  const d = normalizeDraft(draft, ctx.config);
  const issues: { field: string; message: string }[] = [];

  if (d.peerId) {
    const [peer] = await tx.select({ id: peers.id }).from(peers).where(eq(peers.id, d.peerId));
    if (!peer) issues.push({ field: 'peer_id', message: `peer ${d.peerId} does not exist` });
  }
  issues.push(...(await accessIssues(tx, d, fields)));
  if (d.targetKind === 'gateway' && d.gatewayId) {
    const [gateway] = await tx
      .select({ lanNetworks: gatewaysTable.lanNetworks })
      .from(gatewaysTable)
      .where(eq(gatewaysTable.id, d.gatewayId));
    if (!gateway) issues.push({ field: 'gateway_id', message: `gateway ${d.gatewayId} does not exist` });
    else if (d.targetLanHost) {
      const checked = checkGatewayTarget(d.targetLanHost, gateway.lanNetworks);
      if (checked.problem) issues.push({ field: 'target_lan_host', message: checked.problem });
    }
  }
  if (d.targetKind === 'gateway') issues.push(...(await poolIssues(tx, d.pool)));
  const auth = { ...d, authEnabled: await routeUsesLogin(tx, d) };
  issues.push(...routeAuthProblems(auth), ...(await routeAuthIssues(tx, auth, selfId)));
  if (issues.length) throw new ValidationError(issues);

  // Only the rows a conflict can come from (same domain, an overlapping port of the same protocol, the same
  // gateway), through the indexes: reading every route here made each write cost O(routes) in driver values
  // and garbage (bench/routes-apply.ts). checkConflicts gives the same answer on this subset.
  const others = await tx.select(conflictColumns).from(routes).where(conflictCandidates(d));
  try {
    checkConflicts(d, selfId, others, ctx.config);
  } catch (err) {
    if (!(err instanceof ConflictError) || !('suggested_port' in (err.details ?? {}))) throw err;
    // A port conflict suggests the nearest free port, which needs every route on this protocol: read them now.
    const sameProtocol = await tx
      .select(conflictColumns)
      .from(routes)
      .where(and(eq(routes.type, 'l4'), eq(routes.l4Protocol, d.l4Protocol ?? 'tcp')));
    const seen = new Set(others.map((o) => o.id));
    checkConflicts(d, selfId, [...others, ...sameProtocol.filter((o) => !seen.has(o.id))], ctx.config);
    throw err;
  }
  if (d.targetKind === 'gateway' && usesForwardPort(d)) {
    d.gatewayPort = allocateGatewayPort(d, selfId, others, ctx.config.gatewayForwardPorts);
  }
  return { draft: d satisfies RouteDraft, authEnabled: auth.authEnabled };
}

const conflictColumns = {
  id: routes.id,
  type: routes.type,
  enabled: routes.enabled,
  domain: routes.domain,
  l4Protocol: routes.l4Protocol,
  l4ListenPortStart: routes.l4ListenPortStart,
  l4ListenPortEnd: routes.l4ListenPortEnd,
  l4TlsMode: routes.l4TlsMode,
  gatewayId: routes.gatewayId,
  gatewayPort: routes.gatewayPort,
  targetKind: routes.targetKind,
  pool: routes.pool,
};

/**
 * Every route checkConflicts or allocateGatewayPort can look at for this draft: the same domain (HTTP domain,
 * SNI name), an L4 route of the same protocol whose listen range overlaps the draft's, a route on the same gateway.
 */
function conflictCandidates(d: RouteDraft): SQL {
  const parts: SQL[] = [];
  if (d.domain) parts.push(eq(routes.domain, d.domain));
  if (d.type === 'l4' && d.l4ListenPortStart) {
    const end = d.l4ListenPortEnd ?? d.l4ListenPortStart;
    parts.push(
      and(
        eq(routes.type, 'l4'),
        eq(routes.l4Protocol, d.l4Protocol ?? 'tcp'),
        sql`${routes.l4ListenPortStart} <= ${end}`,
        sql`coalesce(${routes.l4ListenPortEnd}, ${routes.l4ListenPortStart}) >= ${d.l4ListenPortStart}`,
      )!,
    );
  }
  if (d.gatewayId) parts.push(eq(routes.gatewayId, d.gatewayId));
  // A pool's members are gateways too (forwarding ports on each): pooled routes are always candidates, and a
  // pooled draft compares with every gateway route.
  parts.push(isNotNull(routes.pool));
  if (d.pool) parts.push(eq(routes.targetKind, 'gateway'));
  return parts.length ? or(...parts)! : sql`0`;
}
