import { eq } from 'drizzle-orm';
import { usesForwardPort } from '../../caddy/snapshot.ts';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { gateways as gatewaysTable, peers, routes } from '../../db/schema/index.ts';
import { ValidationError } from '../../errors.ts';
import type { RouteFields } from '../../schemas/routes.ts';
import { routeAuthIssues, routeAuthProblems } from '../route-auth/rules.ts';
import { accessIssues, routeUsesLogin } from './access.ts';
import { allocateGatewayPort, checkConflicts } from './conflicts.ts';
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
  const auth = { ...d, authEnabled: await routeUsesLogin(tx, d) };
  issues.push(...routeAuthProblems(auth), ...(await routeAuthIssues(tx, auth, selfId)));
  if (issues.length) throw new ValidationError(issues);

  const others = await tx
    .select({
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
    })
    .from(routes);
  checkConflicts(d, selfId, others, ctx.config);
  if (d.targetKind === 'gateway' && usesForwardPort(d)) {
    d.gatewayPort = allocateGatewayPort(d, selfId, others, ctx.config.gatewayForwardPorts);
  }
  return { draft: d satisfies RouteDraft, authEnabled: auth.authEnabled };
}
