import type { Context } from 'hono';
import type { GatewayLiveSource } from '../../services/gateways/list.ts';
import { getGateway } from '../../services/gateways/list.ts';
import { routesUsingGateway } from '../../services/gateways/usage.ts';
import { toPublicRoute } from '../../services/routes/public.ts';
import { routeLabel } from '../shared/all-routes.ts';
import { ConfirmPage, count } from '../shared/confirm.tsx';
import { meta, page } from '../shared/render.ts';
import type { DashEnv } from '../shared/session.ts';

const names = (labels: string[]) => (labels.length > 5 ? `${labels.slice(0, 5).join(', ')}, …` : labels.join(', '));

/**
 * "Delete gateway?" or "Rotate its token?": the agent that disconnects and the routes through the gateway.
 * A gateway that routes still use (as their target or a pool member) cannot be deleted (the service refuses): the
 * page says so and offers no button.
 */
export async function confirmGatewayAction(
  c: Context<DashEnv>,
  live: GatewayLiveSource,
  id: number,
  action: 'delete' | 'rotate',
) {
  const ctx = c.get('ctx');
  const g = await getGateway({ ctx, input: { id }, live });
  const routes = (await routesUsingGateway(ctx.db, id)).map(toPublicRoute);
  const agent = g.online
    ? 'The agent connected now disconnects at once'
    : 'The agent (not connected now) can no longer connect';
  const used = routes.length
    ? `${count(routes.length, 'route')} ${routes.length === 1 ? 'uses' : 'use'} this gateway: ${names(routes.map(routeLabel))}.`
    : 'No route uses this gateway.';
  if (action === 'rotate') {
    return page(
      c,
      <ConfirmPage
        meta={meta(c, `Rotate the token of ${g.name}?`, '/gateways')}
        action={`/gateways/${id}/rotate`}
        verb="Rotate token"
        consequences={[
          `The current token (${g.token_prefix}…) stops working. ${agent}, until it runs with the new token shown on the next page.`,
          routes.length ? `${used} They stop until the agent is back.` : used,
        ]}
        cancelHref={`/gateways/${id}`}
      />,
    );
  }
  return page(
    c,
    <ConfirmPage
      meta={meta(c, `Delete gateway ${g.name}?`, '/gateways')}
      action={`/gateways/${id}/delete`}
      verb={`Delete ${g.name}`}
      consequences={[
        used,
        `${agent}; its token (${g.token_prefix}…) stops working.`,
        g.peer_id ? 'Its WireGuard peer stays; delete it on the peer’s page if it is no longer needed.' : '',
      ].filter(Boolean)}
      blocked={routes.length ? 'Move these routes to another target or delete them first.' : undefined}
      cancelHref={`/gateways/${id}`}
    />,
  );
}
