import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ServiceContext } from '../../context.ts';
import type { AppDeps } from '../../http/types.ts';
import { CreateGatewaySchema, UpdateGatewaySchema } from '../../schemas/gateways.ts';
import { createGateway } from '../../services/gateways/create.ts';
import { getGateway, listGateways } from '../../services/gateways/list.ts';
import { removeGateway } from '../../services/gateways/remove.ts';
import { rotateGatewayToken } from '../../services/gateways/rotate-token.ts';
import { updateGateway } from '../../services/gateways/update.ts';
import { createPeer } from '../../services/peers/create.ts';
import { listPeers } from '../../services/peers/list.ts';
import { offlinePeerDeps } from '../../services/peers/offline.ts';
import { removePeer } from '../../services/peers/remove.ts';
import { listRoutes } from '../../services/routes/read.ts';
import { isConfirmed, toConfirmPage } from '../shared/confirm.tsx';
import { type Form, type FormErrors, str, toFormErrors } from '../shared/forms.ts';
import { OnceStore } from '../shared/once.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { agentCommand, agentServerUrl } from './agent-url.ts';
import { confirmGatewayAction } from './confirm.tsx';
import { liveFragments, liveSource } from './live.tsx';
import { GatewayPage } from './pages/detail.tsx';
import { GatewaysPage } from './pages/list.tsx';
import type { CreatedToken } from './parts/token-once.tsx';

const GATEWAY_FIELDS = ['name', 'peer_id', 'lan_networks'] as const;
/** How often the live stream looks for changes, and how long one stream lives (EventSource reconnects). */
const LIVE_INTERVAL_MS = 1_000;
const LIVE_MAX_MS = 5 * 60_000;

const networks = (form: Form) =>
  str(form, 'lan_networks')
    .split(/[\s,]+/)
    .filter(Boolean);

const gatewayId = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : 0);

/** The dashboard's gateways: list with live status (server-sent events), create, edit, rotate token, delete. */
export function gatewaysDashboard(deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  const live = liveSource(deps);
  const peerDeps = deps.peers ?? offlinePeerDeps();
  // The agent command with a fresh token, for the one page view after the POST that made it.
  const shown = new OnceStore<CreatedToken>();
  const agentShown = (c: Context, token: string) => {
    const server = agentServerUrl(deps.config, new URL(c.req.url).origin);
    return { command: agentCommand(server, token), reach: server.reach, fix: server.fix };
  };
  const peerChoices = async (ctx: ServiceContext) =>
    (await listPeers({ ctx, deps: peerDeps, input: { limit: 500, offset: 0 } })).data.map((p) => ({
      id: p.id,
      name: p.name,
      address: p.address,
    }));

  const listPage = async (c: Context<DashEnv>, extra: { values?: Form; errors?: FormErrors } = {}) => {
    const ctx = c.get('ctx');
    const gateways = await listGateways({ ctx, live });
    const m = meta(c, 'Gateways');
    const created = shown.take(m.csrf ?? '');
    const peers = await peerChoices(ctx);
    return page(
      c,
      <GatewaysPage meta={m} gateways={gateways} created={created} peers={peers} {...extra} />,
      extra.errors ? 422 : 200,
    );
  };

  const detail = async (c: Context<DashEnv>, id: number, edit?: { values: Form; errors: FormErrors }) => {
    const ctx = c.get('ctx');
    const gateway = await getGateway({ ctx, input: { id }, live });
    const routes = await listRoutes({ ctx, input: { gateway_id: id, limit: 500, offset: 0 } });
    const m = meta(c, gateway.name, '/gateways');
    const created = shown.take(m.csrf ?? '');
    const peers = await peerChoices(ctx);
    return page(
      c,
      <GatewayPage meta={m} gateway={gateway} routes={routes.data} created={created} peers={peers} edit={edit} />,
      edit ? 422 : 200,
    );
  };

  app.get('/gateways', session, (c) => listPage(c));

  app.post('/gateways', session, async (c) => {
    const ctx = c.get('ctx');
    const form = await formOf(c);
    const peerChoice = str(form, 'peer_id');
    let madePeer: number | undefined;
    try {
      const input = CreateGatewaySchema.parse({
        name: str(form, 'name'),
        peer_id: peerChoice === '' || peerChoice === 'new' ? null : Number(peerChoice),
        lan_networks: networks(form),
      });
      if (peerChoice === 'new') {
        // Gateways sit behind NAT: keepalive keeps the tunnel open from their side.
        const peer = await createPeer({
          ctx,
          deps: peerDeps,
          input: { name: input.name, is_gateway: true, persistent_keepalive: 25, enabled: true, tags: ['gateways'] },
        });
        madePeer = peer.id;
        input.peer_id = peer.id;
      }
      const { row, token } = await createGateway({ ctx, input });
      shown.put(c.get('csrfToken') ?? '', {
        name: row.name,
        ...agentShown(c, token),
        peerId: row.peerId,
      });
      return redirect(c, '/gateways?done=gateway-created');
    } catch (err) {
      // The peer made for a gateway that could not be created would only be clutter.
      if (madePeer) await removePeer({ ctx, deps: peerDeps, input: { id: madePeer } }).catch(() => {});
      return listPage(c, { values: form, errors: toFormErrors(err, GATEWAY_FIELDS) });
    }
  });

  app.get('/gateways/events', session, (c) => {
    const ctx = c.get('ctx');
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      const started = Date.now();
      let last: Record<string, string> = {};
      await stream.writeSSE({ event: 'ping', data: '', retry: 3_000 });
      while (!stream.aborted && !stream.closed && Date.now() - started < LIVE_MAX_MS) {
        const now = await liveFragments(ctx, deps);
        const changed = Object.fromEntries(Object.entries(now).filter(([k, v]) => last[k] !== v));
        if (Object.keys(changed).length) await stream.writeSSE({ event: 'status', data: JSON.stringify(changed) });
        last = now;
        await stream.sleep(LIVE_INTERVAL_MS);
      }
    });
  });

  app.get('/gateways/:id', session, (c) => detail(c, gatewayId(c.req.param('id'))));

  app.post('/gateways/:id', session, async (c) => {
    const id = gatewayId(c.req.param('id'));
    const form = await formOf(c);
    try {
      const peer = str(form, 'peer_id');
      const patch = UpdateGatewaySchema.parse({
        name: str(form, 'name'),
        peer_id: peer ? Number(peer) : null,
        lan_networks: networks(form),
      });
      await updateGateway({ ctx: c.get('ctx'), input: { id, patch } });
      return redirect(c, `/gateways/${id}?done=gateway-saved`);
    } catch (err) {
      return detail(c, id, { values: form, errors: toFormErrors(err, GATEWAY_FIELDS) });
    }
  });

  app.get('/gateways/:id/rotate', session, (c) =>
    confirmGatewayAction(c, live, gatewayId(c.req.param('id')), 'rotate'),
  );

  app.post('/gateways/:id/rotate', session, async (c) => {
    const id = gatewayId(c.req.param('id'));
    if (!isConfirmed(await formOf(c))) return toConfirmPage(c);
    const { row, token } = await rotateGatewayToken({ ctx: c.get('ctx'), input: { id } });
    await deps.gatewaySync?.hub.disconnect(id);
    shown.put(c.get('csrfToken') ?? '', {
      name: row.name,
      ...agentShown(c, token),
      peerId: null,
    });
    return redirect(c, `/gateways/${id}?done=gateway-rotated`);
  });

  app.get('/gateways/:id/delete', session, (c) =>
    confirmGatewayAction(c, live, gatewayId(c.req.param('id')), 'delete'),
  );

  app.post('/gateways/:id/delete', session, async (c) => {
    const id = gatewayId(c.req.param('id'));
    if (!isConfirmed(await formOf(c))) return toConfirmPage(c);
    await removeGateway({ ctx: c.get('ctx'), input: { id } });
    await deps.gatewaySync?.hub.disconnect(id);
    return redirect(c, '/gateways?done=gateway-deleted');
  });

  return app;
}
