import type { Hono, MiddlewareHandler } from 'hono';
import type { AppDeps } from '../api/types.ts';
import type { ServiceContext } from '../context.ts';
import { Layout } from './layout.tsx';
import { meta, page } from './render.ts';
import type { DashEnv } from './session.ts';

/** Gateways the route form offers. Until the gateway service lands, the compiler's loader is all there is. */
export async function gatewayChoices(ctx: ServiceContext): Promise<{ id: number; name: string }[]> {
  const refs = ctx.hooks?.loadGateways ? await ctx.hooks.loadGateways(ctx.db) : [];
  return refs.map((g) => ({ id: g.id, name: `gateway ${g.id}${g.tunnelIp ? ` (${g.tunnelIp})` : ''}` }));
}

export function registerGateways(app: Hono<DashEnv>, _deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  app.get('/gateways', session, (c) =>
    page(
      c,
      <Layout meta={meta(c, 'Gateways')}>
        <h1>Gateways</h1>
        <section class="card">
          <p>Gateways are not available in this version of the control plane yet.</p>
          <p class="muted">
            A gateway is a WireGuard peer plus a token; it forwards TCP/UDP from its tunnel address to hosts in its LAN.
            Until then, routes can target hosts reachable from the server or WireGuard peers.
          </p>
        </section>
      </Layout>,
    ),
  );
}
