import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { ServiceContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { RouteTraffic } from '../../schemas/connections.ts';
import type { PublicRoute } from '../../schemas/routes.ts';
import { closeRouteConnection, listRouteConnections } from '../../services/routes/connections.ts';
import { getRouteTraffic, listRouteClients } from '../../services/routes/live.ts';
import { getRoute } from '../../services/routes/read.ts';
import { ConfirmPage, isConfirmed, toConfirmPage } from '../shared/confirm.tsx';
import { meta, page, secureHeaders } from '../shared/render.ts';
import { withoutForbidden } from '../shared/role-filter.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { LivePanelBody, type LiveView } from './parts/live-panel.tsx';

const numeric = (raw: string | undefined) => (raw && /^\d{1,15}$/.test(raw) ? Number(raw) : 0);

/** What the data plane sees of a route now; a data plane that cannot answer is said, not shown as empty. */
export async function liveView(ctx: ServiceContext, route: PublicRoute): Promise<LiveView> {
  const type = route.type === 'http' ? 'http' : 'l4';
  try {
    return type === 'l4'
      ? { type, connections: await listRouteConnections({ ctx, input: { id: route.id } }), clients: [] }
      : { type, connections: [], clients: await listRouteClients({ ctx, input: { id: route.id } }) };
  } catch (err) {
    if (!(err instanceof AppError) || err.code === 'not_found') throw err;
    return { type, connections: [], clients: [], unavailable: `Not available: ${err.message}.` };
  }
}

/** Each pool member's share, or undefined when the data plane cannot say (the members' state still shows). */
export async function routeTraffic(ctx: ServiceContext, route: PublicRoute): Promise<RouteTraffic | undefined> {
  try {
    return await getRouteTraffic({ ctx, input: { id: route.id } });
  } catch (err) {
    if (!(err instanceof AppError) || err.code === 'not_found') throw err;
    return undefined;
  }
}

/**
 * The route page's live panel (polled by htmx) and ending one L4 connection: a confirm page, then the POST that
 * ends it through the same service verb as the API (audit-logged).
 */
export function mountLive(app: Hono<DashEnv>, session: MiddlewareHandler<DashEnv>, routeId: (raw: string) => number) {
  app.get('/routes/:id/live', session, async (c) => {
    const ctx = c.get('ctx');
    const route = await getRoute({ ctx, input: { id: routeId(c.req.param('id')) } });
    secureHeaders(c);
    const html = String(await (<LivePanelBody routeId={route.id} view={await liveView(ctx, route)} />));
    return c.html(withoutForbidden(html, c.get('role')));
  });

  const target = async (c: Context<DashEnv>) => {
    const ctx = c.get('ctx');
    const route = await getRoute({ ctx, input: { id: routeId(c.req.param('id') ?? '') } });
    return { ctx, route, connection: numeric(c.req.param('connection')) };
  };

  app.get('/routes/:id/connections/:connection/end', session, async (c) => {
    const { ctx, route, connection } = await target(c);
    const open = (await listRouteConnections({ ctx, input: { id: route.id } })).find((x) => x.id === connection);
    return page(
      c,
      <ConfirmPage
        meta={meta(c, `End connection ${connection}?`, '/routes')}
        action={`/routes/${route.id}/connections/${connection}/end`}
        verb="End connection"
        consequences={
          open
            ? [
                `The ${open.network === 'udp' ? 'UDP session' : 'TCP connection'} from ${open.client}` +
                  `${open.gateway_name ? ` through ${open.gateway_name}` : ''} is closed at once.`,
                'The client may connect again if the route lets it; change the policy to keep it out.',
              ]
            : []
        }
        blocked={open ? undefined : 'This connection is not open any more.'}
        cancelHref={`/routes/${route.id}`}
      />,
    );
  });

  app.post('/routes/:id/connections/:connection/end', session, async (c) => {
    if (!isConfirmed(await formOf(c))) return toConfirmPage(c);
    const { ctx, route, connection } = await target(c);
    await closeRouteConnection({ ctx, input: { id: route.id, connection } });
    return redirect(c, `/routes/${route.id}?done=connection-ended`);
  });
}
