import type { ServiceContext } from '../../context.ts';
import type { PublicRoute } from '../../schemas/routes.ts';
import { listRoutes } from '../../services/routes/read.ts';

/** At most this many pages of 500: the confirm pages count what a delete cuts, not browse. */
const MAX_PAGES = 40;

/** Every route (page by page through the service), for the counts the confirm pages show. */
export async function allRoutes(ctx: ServiceContext, filter: { gateway_id?: number } = {}): Promise<PublicRoute[]> {
  const out: PublicRoute[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await listRoutes({ ctx, input: { ...filter, limit: 500, offset: page * 500 } });
    out.push(...result.data);
    if (out.length >= result.pagination.total || result.data.length === 0) break;
  }
  return out;
}

/** How a route is known to a person: its name, and the domain or port it answers on. */
export const routeLabel = (r: PublicRoute) =>
  `${r.name} (${r.type === 'http' ? (r.domain ?? 'no domain') : `${r.l4_protocol ?? 'tcp'} port ${r.l4_listen_port ?? '?'}`})`;
