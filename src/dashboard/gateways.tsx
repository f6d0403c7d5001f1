import type { Context, Hono, MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ServiceContext } from '../context.ts';
import type { AppDeps } from '../http/types.ts';
import { CreateGatewaySchema, UpdateGatewaySchema } from '../schemas/gateways.ts';
import { createGateway } from '../services/gateways/create.ts';
import { type GatewayLiveSource, getGateway, listGateways } from '../services/gateways/list.ts';
import { removeGateway } from '../services/gateways/remove.ts';
import { rotateGatewayToken } from '../services/gateways/rotate-token.ts';
import { updateGateway } from '../services/gateways/update.ts';
import { createPeer } from '../services/peers/create.ts';
import { listPeers } from '../services/peers/list.ts';
import { offlinePeerDeps } from '../services/peers/offline.ts';
import { removePeer } from '../services/peers/remove.ts';
import { listRoutes } from '../services/routes/read.ts';
import { type Form, type FormErrors, str, toFormErrors } from './forms.ts';
import { ConfigCell, GatewayForm, HealthCell, SeenCell, StatusCell, TokenOnce } from './gateway-parts.tsx';
import { Badge, Csrf, Layout } from './layout.tsx';
import { OnceStore } from './once.ts';
import { meta, page } from './render.ts';
import { type DashEnv, formOf, redirect } from './session.ts';

const GATEWAY_FIELDS = ['name', 'peer_id', 'lan_networks'] as const;
/** How often the live stream looks for changes, and how long one stream lives (EventSource reconnects). */
const LIVE_INTERVAL_MS = 1_000;
const LIVE_MAX_MS = 5 * 60_000;

function liveSource(deps: AppDeps): GatewayLiveSource {
  return {
    isOnline: (id) => deps.gatewaySync?.hub.isOnline(id) ?? false,
    handshakeAt: (publicKey) => deps.peers?.network.latest(publicKey)?.latestHandshake ?? null,
  };
}

/** Gateways the route form offers. */
export async function gatewayChoices(ctx: ServiceContext, deps?: AppDeps): Promise<{ id: number; name: string }[]> {
  const list = await listGateways({
    ctx,
    live: deps ? liveSource(deps) : { isOnline: () => false, handshakeAt: () => null },
  });
  return list.map((g) => ({ id: g.id, name: `${g.name}${g.tunnel_ip ? ` (${g.tunnel_ip})` : ' (no peer yet)'}` }));
}

/** The overview's gateway card. */
export async function gatewaysCard(ctx: ServiceContext, deps: AppDeps) {
  const list = await listGateways({ ctx, live: liveSource(deps) });
  const online = list.filter((g) => g.online).length;
  const drift = list.filter((g) => g.online && g.drift).length;
  return (
    <section class="card" aria-label="Gateways">
      <p class="stat">{list.length}</p>
      <p>
        <a href="/gateways">Gateways</a> · {online} online{drift ? ` · ${drift} behind` : ''}
      </p>
    </section>
  );
}

/** The parts of a gateway that change on their own; the live stream re-renders exactly these. */
async function liveFragments(ctx: ServiceContext, deps: AppDeps): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const g of await listGateways({ ctx, live: liveSource(deps) })) {
    out[`gw-${g.id}-status`] = String(await (<StatusCell g={g} />));
    out[`gw-${g.id}-seen`] = String(await (<SeenCell g={g} />));
    out[`gw-${g.id}-config`] = String(await (<ConfigCell g={g} />));
    out[`gw-${g.id}-health`] = String(await (<HealthCell g={g} />));
  }
  return out;
}

function agentCommand(c: Context, token: string, publicDomain: string | undefined) {
  const server = publicDomain ? `https://${publicDomain}` : new URL(c.req.url).origin;
  return `gatehouse gateway --server ${server} --token ${token}`;
}

const networks = (form: Form) =>
  str(form, 'lan_networks')
    .split(/[\s,]+/)
    .filter(Boolean);

export function registerGateways(app: Hono<DashEnv>, deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  const live = liveSource(deps);
  const peerDeps = deps.peers ?? offlinePeerDeps();
  const shown = new OnceStore<{ name: string; command: string; peerId: number | null }>();
  const peerChoices = async (ctx: ServiceContext) =>
    (await listPeers({ ctx, deps: peerDeps, input: { limit: 500, offset: 0 } })).data.map((p) => ({
      id: p.id,
      name: p.name,
      address: p.address,
    }));

  const listPage = async (c: Context<DashEnv>, extra: { values?: Form; errors?: FormErrors } = {}) => {
    const ctx = c.get('ctx');
    const list = await listGateways({ ctx, live });
    const m = meta(c, 'Gateways');
    return page(
      c,
      <Layout meta={m}>
        <div class="page-head">
          <h1>Gateways</h1>
        </div>
        <TokenOnce created={shown.take(m.csrf ?? '')} />
        <div class="table-wrap" data-live-stream="/gateways/events">
          <table>
            <thead>
              <tr>
                <th scope="col">Gateway</th>
                <th scope="col">Status</th>
                <th scope="col" class="opt">
                  Last seen
                </th>
                <th scope="col">Config applied / current</th>
                <th scope="col" class="opt">
                  Listeners and targets
                </th>
              </tr>
            </thead>
            <tbody>
              {list.length === 0 ? (
                <tr>
                  <td colspan={5} class="empty">
                    No gateways yet. A gateway forwards TCP/UDP from its tunnel to hosts in its LAN.
                  </td>
                </tr>
              ) : (
                list.map((g) => (
                  <tr>
                    <td>
                      <a href={`/gateways/${g.id}`}>{g.name}</a> <span class="muted mono">{g.tunnel_ip ?? ''}</span>
                    </td>
                    <td id={`gw-${g.id}-status`}>
                      <StatusCell g={g} />
                    </td>
                    <td class="opt" id={`gw-${g.id}-seen`}>
                      <SeenCell g={g} />
                    </td>
                    <td id={`gw-${g.id}-config`}>
                      <ConfigCell g={g} />
                    </td>
                    <td class="opt" id={`gw-${g.id}-health`}>
                      <HealthCell g={g} />
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
        <p class="hint">Status updates live while this page is open.</p>
        <GatewayForm meta={m} values={extra.values ?? {}} errors={extra.errors} peers={await peerChoices(ctx)} />
      </Layout>,
      extra.errors ? 422 : 200,
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
        command: agentCommand(c, token, deps.config.publicDomain),
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

  const detail = async (c: Context<DashEnv>, id: number, edit?: { values: Form; errors: FormErrors }) => {
    const ctx = c.get('ctx');
    const g = await getGateway({ ctx, input: { id }, live });
    const routes = await listRoutes({ ctx, input: { gateway_id: id, limit: 500, offset: 0 } });
    const m = meta(c, g.name, '/gateways');
    const routeName = new Map(routes.data.map((r) => [r.id, r.name]));
    return page(
      c,
      <Layout meta={m}>
        <div class="page-head">
          <h1>{g.name}</h1>
          <span id={`gw-${g.id}-status`} data-live-stream="/gateways/events">
            <StatusCell g={g} />
          </span>
        </div>
        <TokenOnce created={shown.take(m.csrf ?? '')} />
        <div class="grid">
          <section class="card" aria-labelledby="gw-facts-h">
            <h2 id="gw-facts-h">State</h2>
            <dl class="facts">
              <dt>Tunnel IP</dt>
              <dd class="mono">{g.tunnel_ip ?? 'no peer yet'}</dd>
              <dt>Last seen</dt>
              <dd id={`gw-${g.id}-seen`}>
                <SeenCell g={g} />
              </dd>
              <dt>Handshake</dt>
              <dd>{g.handshake_age_seconds === null ? 'unknown' : `${g.handshake_age_seconds} s ago`}</dd>
              <dt>Config</dt>
              <dd id={`gw-${g.id}-config`}>
                <ConfigCell g={g} />
              </dd>
              <dt>LAN networks</dt>
              <dd class="mono">{g.lan_networks.join(', ') || '—'}</dd>
              <dt>Token</dt>
              <dd class="mono">{g.token_prefix}…</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="gw-token-h">
            <h2 id="gw-token-h">Agent token</h2>
            <p>A new token stops the old one at once and disconnects the agent until it uses the new one.</p>
            <form method="post" action={`/gateways/${g.id}/rotate`}>
              <Csrf token={m.csrf} />
              <button type="submit">Rotate token</button>
            </form>
          </section>
        </div>
        <section class="card" aria-labelledby="gw-routes-h">
          <h2 id="gw-routes-h">Routes through this gateway</h2>
          {routes.data.length === 0 ? (
            <p class="muted">
              None yet. <a href="/routes/new">Create a route</a> with the target “A LAN host behind a gateway”.
            </p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Route</th>
                    <th scope="col">LAN target</th>
                    <th scope="col">Listener</th>
                    <th scope="col">Target</th>
                  </tr>
                </thead>
                <tbody>
                  {routes.data.map((r) => {
                    const listener = g.listeners.filter((l) => l.route_id === r.id);
                    const target = g.targets.find((t) => t.route_id === r.id);
                    return (
                      <tr>
                        <td>
                          <a href={`/routes/${r.id}`}>{routeName.get(r.id)}</a>
                        </td>
                        <td class="mono">
                          {r.target_lan_host}:{r.target_lan_port}
                        </td>
                        <td>
                          {listener.length === 0 ? (
                            <span class="muted">not reported</span>
                          ) : (
                            listener.map((l) => (
                              <Badge tone={l.state === 'listening' ? 'ok' : l.state === 'failed' ? 'bad' : 'muted'}>
                                {l.protocol}/{l.port} {l.state}
                                {l.error ? `: ${l.error}` : ''}
                              </Badge>
                            ))
                          )}
                        </td>
                        <td>
                          {target ? (
                            <Badge tone={target.reachable ? 'ok' : 'bad'}>
                              {target.reachable
                                ? `reachable${target.latency_ms !== undefined ? `, ${Math.round(target.latency_ms)} ms` : ''}`
                                : `down${target.error ? `: ${target.error}` : ''}`}
                            </Badge>
                          ) : (
                            <span class="muted">not reported</span>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <GatewayForm
          meta={m}
          gateway={g}
          values={
            edit?.values ?? {
              name: g.name,
              peer_id: g.peer_id ? String(g.peer_id) : '',
              lan_networks: g.lan_networks.join(', '),
            }
          }
          errors={edit?.errors}
          peers={await peerChoices(ctx)}
        />
        <form method="post" action={`/gateways/${g.id}/delete`} class="card">
          <Csrf token={m.csrf} />
          <h2>Delete</h2>
          <p>Only a gateway that no route uses can be deleted; its agent is disconnected.</p>
          <button type="submit" class="danger">
            Delete {g.name}
          </button>
        </form>
      </Layout>,
      edit ? 422 : 200,
    );
  };

  const gatewayId = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : 0);

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

  app.post('/gateways/:id/rotate', session, async (c) => {
    const id = gatewayId(c.req.param('id'));
    const { row, token } = await rotateGatewayToken({ ctx: c.get('ctx'), input: { id } });
    await deps.gatewaySync?.hub.disconnect(id);
    shown.put(c.get('csrfToken') ?? '', {
      name: row.name,
      command: agentCommand(c, token, deps.config.publicDomain),
      peerId: null,
    });
    return redirect(c, `/gateways/${id}?done=gateway-rotated`);
  });

  app.post('/gateways/:id/delete', session, async (c) => {
    const id = gatewayId(c.req.param('id'));
    await removeGateway({ ctx: c.get('ctx'), input: { id } });
    await deps.gatewaySync?.hub.disconnect(id);
    return redirect(c, '/gateways?done=gateway-deleted');
  });
}
