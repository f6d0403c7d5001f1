import type { Context, Hono, MiddlewareHandler } from 'hono';
import { raw } from 'hono/html';
import { AppError } from '../errors.ts';
import type { AppDeps } from '../http/types.ts';
import { CreatePeerSchema, type PublicPeer, UpdatePeerSchema } from '../schemas/peers.ts';
import { peerConfig, peerQr } from '../services/peers/config.ts';
import { createPeer } from '../services/peers/create.ts';
import { getPeer } from '../services/peers/get.ts';
import { peerHistory } from '../services/peers/history.ts';
import { listPeers } from '../services/peers/list.ts';
import { offlinePeerDeps } from '../services/peers/offline.ts';
import { removePeer } from '../services/peers/remove.ts';
import { updatePeer } from '../services/peers/update.ts';
import { TrafficChart } from './chart.tsx';
import { type Form, type FormErrors, list, str, toFormErrors } from './forms.ts';
import {
  ago,
  Badge,
  Csrf,
  describedBy,
  ErrorSummary,
  FieldError,
  formatBytes,
  Layout,
  type PageMeta,
  TextField,
} from './layout.tsx';
import { meta, page } from './render.ts';
import { type DashEnv, formOf, redirect } from './session.ts';

const FULL_TUNNEL = ['0.0.0.0/0'];
const PEER_FIELDS = ['name', 'tags', 'expires_at', 'allowed_ips', 'dns'] as const;

/** The form's values as the shared schema's input: tags and networks as lists, the expiry in UTC. */
function peerInput(form: Form) {
  const split = str(form, 'tunnel_mode') === 'split';
  const networks = str(form, 'allowed_ips')
    .split(/[\s,]+/)
    .filter(Boolean);
  const expiry = str(form, 'expires_at');
  const dns = str(form, 'dns')
    .split(/[\s,]+/)
    .filter(Boolean);
  return {
    name: str(form, 'name'),
    tags: str(form, 'tags')
      .split(/[\s,]+/)
      .filter(Boolean),
    // datetime-local has no zone; the label says UTC.
    expires_at: expiry ? (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(expiry) ? `${expiry}:00Z` : expiry) : null,
    allowed_ips: split ? networks : FULL_TUNNEL,
    ...(dns.length ? { dns } : {}),
    enabled: list(form, 'enabled').length ? list(form, 'enabled').includes('1') : true,
  };
}

function status(p: PublicPeer) {
  if (!p.enabled) return <Badge tone="muted">disabled</Badge>;
  if (p.expires_at && Date.parse(p.expires_at) <= Date.now()) return <Badge tone="warn">expired</Badge>;
  return p.stats?.online ? <Badge tone="ok">online</Badge> : <Badge tone="muted">offline</Badge>;
}

function PeerForm({
  meta: m,
  peer,
  values,
  errors,
}: {
  meta: PageMeta;
  peer?: PublicPeer;
  values: Form;
  errors?: FormErrors;
}) {
  const e = errors?.fields ?? {};
  const split = str(values, 'tunnel_mode') === 'split';
  return (
    <form method="post" action={peer ? `/peers/${peer.id}` : '/peers'} class="card" novalidate>
      <Csrf token={m.csrf} />
      <ErrorSummary summary={errors?.summary} />
      <div class="cols">
        <TextField
          name="name"
          label="Name"
          value={str(values, 'name')}
          error={e.name}
          required
          hint="e.g. alice-laptop"
        />
        <TextField
          name="tags"
          label="Tags"
          value={str(values, 'tags')}
          error={e.tags}
          hint="Groups for route ACLs, separated by commas"
        />
        <TextField
          name="expires_at"
          label="Expires (UTC)"
          type="datetime-local"
          value={str(values, 'expires_at').slice(0, 16)}
          error={e.expires_at}
          hint="Leave empty for no expiry"
        />
        <TextField
          name="dns"
          label="DNS servers"
          value={str(values, 'dns')}
          error={e.dns}
          hint="Optional, e.g. 1.1.1.1"
        />
      </div>
      <fieldset>
        <legend>Tunnel mode</legend>
        <div class="choice">
          <label>
            <input type="radio" name="tunnel_mode" value="full" checked={!split} /> Full tunnel (all traffic)
          </label>
          <label>
            <input type="radio" name="tunnel_mode" value="split" checked={split} /> Split tunnel (only these networks)
          </label>
        </div>
        <div class={`field ${e.allowed_ips ? 'has-error' : ''}`}>
          <label for="allowed_ips">Networks for a split tunnel</label>
          <textarea
            id="allowed_ips"
            name="allowed_ips"
            aria-invalid={e.allowed_ips ? 'true' : undefined}
            aria-describedby={describedBy('allowed_ips', e.allowed_ips, true)}
          >
            {str(values, 'allowed_ips')}
          </textarea>
          <p class="hint" id="allowed_ips-hint">
            One CIDR per line, e.g. 192.168.1.0/24. The VPN subnet is always included.
          </p>
          <FieldError id="allowed_ips" error={e.allowed_ips} />
        </div>
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="primary">
          {peer ? 'Save peer' : 'Create peer'}
        </button>
        <a href={peer ? `/peers/${peer.id}` : '/peers'}>Cancel</a>
      </div>
    </form>
  );
}

const valuesOf = (p: PublicPeer): Form => ({
  name: p.name,
  tags: p.tags.join(', '),
  expires_at: p.expires_at ?? '',
  dns: p.dns.join(', '),
  tunnel_mode: p.allowed_ips.length === 1 && p.allowed_ips[0] === '0.0.0.0/0' ? 'full' : 'split',
  allowed_ips: p.allowed_ips.filter((n) => n !== '0.0.0.0/0').join('\n'),
});

export function registerPeers(app: Hono<DashEnv>, deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  const peerDeps = deps.peers ?? offlinePeerDeps();

  app.get('/peers', session, async (c) => {
    const q = c.req.query('q')?.trim().slice(0, 64) || undefined;
    const tag = c.req.query('tag')?.trim().toLowerCase() || undefined;
    const result = await listPeers({
      ctx: c.get('ctx'),
      deps: peerDeps,
      input: { q, tag: tag && /^[a-z0-9][a-z0-9_.-]{0,31}$/.test(tag) ? tag : undefined, limit: 500, offset: 0 },
    });
    const m = meta(c, 'Peers');
    return page(
      c,
      <Layout meta={m}>
        <div class="page-head">
          <h1>Peers</h1>
          <a class="button primary" href="/peers/new">
            New peer
          </a>
        </div>
        <form method="get" action="/peers" class="filters">
          <TextField name="q" label="Name contains" type="search" value={q ?? ''} />
          <TextField name="tag" label="Tag" value={tag ?? ''} />
          <button type="submit">Filter</button>
        </form>
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">WireGuard peers</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col" class="opt">
                  Address
                </th>
                <th scope="col" class="opt">
                  Tags
                </th>
                <th scope="col" class="opt">
                  Handshake
                </th>
                <th scope="col">Traffic ↓/↑</th>
                <th scope="col" class="actions">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {result.data.length === 0 ? (
                <tr>
                  <td colspan={7} class="empty">
                    No peers yet. <a href="/peers/new">Create the first one</a>.
                  </td>
                </tr>
              ) : (
                result.data.map((p) => (
                  <tr>
                    <td>
                      <a href={`/peers/${p.id}`}>{p.name}</a>
                      {p.is_gateway ? <Badge tone="muted">gateway</Badge> : null}
                    </td>
                    <td>{status(p)}</td>
                    <td class="opt mono">{p.address}</td>
                    <td class="opt">{p.tags.join(', ')}</td>
                    <td class="opt">{ago(p.stats?.latest_handshake_at)}</td>
                    <td>{p.stats ? `${formatBytes(p.stats.rx_bytes)} / ${formatBytes(p.stats.tx_bytes)}` : '—'}</td>
                    <td class="actions">
                      <form method="post" action={`/peers/${p.id}/toggle`} class="inline">
                        <Csrf token={m.csrf} />
                        <input type="hidden" name="enabled" value={p.enabled ? '0' : '1'} />
                        <button
                          type="submit"
                          class="small"
                          aria-label={`${p.enabled ? 'Disable' : 'Enable'} ${p.name}`}
                        >
                          {p.enabled ? 'Disable' : 'Enable'}
                        </button>
                      </form>
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
        <p class="hint">{result.pagination.total} peers</p>
      </Layout>,
    );
  });

  app.get('/peers/new', session, (c) =>
    page(
      c,
      <Layout meta={meta(c, 'New peer', '/peers')}>
        <h1>New peer</h1>
        <PeerForm meta={meta(c, 'New peer', '/peers')} values={{ tunnel_mode: 'full' }} />
      </Layout>,
    ),
  );

  app.post('/peers', session, async (c) => {
    const form = await formOf(c);
    const ctx = c.get('ctx');
    try {
      const input = CreatePeerSchema.parse(peerInput(form));
      const peer = await createPeer({ ctx, deps: peerDeps, input });
      return redirect(c, `/peers/${peer.id}?done=peer-created`);
    } catch (err) {
      const errors = toFormErrors(err, PEER_FIELDS);
      const m = meta(c, 'New peer', '/peers');
      return page(
        c,
        <Layout meta={m}>
          <h1>New peer</h1>
          <PeerForm meta={m} values={form} errors={errors} />
        </Layout>,
        422,
      );
    }
  });

  const peerId = (raw: string) => {
    const id = Number(raw);
    return Number.isInteger(id) && id > 0 ? id : 0;
  };

  const detail = async (c: Context<DashEnv>, id: number, edit?: { values: Form; errors: FormErrors }) => {
    const ctx = c.get('ctx');
    const peer = await getPeer({ ctx, deps: peerDeps, input: { id } });
    const history = await peerHistory({ ctx, deps: peerDeps, input: { id } });
    let qr: string | undefined;
    let qrProblem: string | undefined;
    if (peer.has_private_key) {
      try {
        qr = String((await peerQr({ ctx, deps: peerDeps, input: { id, format: 'svg' } })).body);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        qrProblem = err.message;
      }
    } else qrProblem = 'This peer brought its own key, so the server cannot write its config file.';
    const m = meta(c, peer.name, '/peers');
    return page(
      c,
      <Layout meta={m}>
        <div class="page-head">
          <h1>
            {peer.name} {status(peer)}
          </h1>
          <form method="post" action={`/peers/${peer.id}/toggle`} class="inline">
            <Csrf token={m.csrf} />
            <input type="hidden" name="enabled" value={peer.enabled ? '0' : '1'} />
            <button type="submit">{peer.enabled ? 'Disable' : 'Enable'}</button>
          </form>
        </div>
        <div class="grid">
          <section class="card" aria-labelledby="facts-h">
            <h2 id="facts-h">Details</h2>
            <dl class="facts">
              <dt>Address</dt>
              <dd class="mono">{peer.address}</dd>
              <dt>Public key</dt>
              <dd class="mono">{peer.public_key}</dd>
              <dt>Tunnel</dt>
              <dd>{peer.allowed_ips.includes('0.0.0.0/0') ? 'full' : `split: ${peer.allowed_ips.join(', ')}`}</dd>
              <dt>Tags</dt>
              <dd>{peer.tags.join(', ') || '—'}</dd>
              <dt>Expires</dt>
              <dd>{peer.expires_at ? `${peer.expires_at.slice(0, 16).replace('T', ' ')} UTC` : 'never'}</dd>
              <dt>Handshake</dt>
              <dd>{ago(peer.stats?.latest_handshake_at)}</dd>
              <dt>Traffic</dt>
              <dd>
                {peer.stats
                  ? `${formatBytes(peer.stats.rx_bytes)} received, ${formatBytes(peer.stats.tx_bytes)} sent`
                  : '—'}
              </dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="config-h">
            <h2 id="config-h">Client configuration</h2>
            {qr ? (
              <>
                <figure class="qr" role="img" aria-label={`QR code of the WireGuard configuration for ${peer.name}`}>
                  {raw(qr)}
                </figure>
                <p>
                  <a class="button" href={`/peers/${peer.id}/config`} download>
                    Download config
                  </a>
                </p>
                <p class="hint">Contains the peer's private key. Scan with the WireGuard app or import the file.</p>
              </>
            ) : (
              <p class="muted">{qrProblem}</p>
            )}
          </section>
        </div>
        <section class="card" aria-labelledby="traffic-h">
          <h2 id="traffic-h">Traffic</h2>
          <TrafficChart points={history.points} intervalSeconds={history.interval_seconds} />
        </section>
        <h2>Edit</h2>
        <PeerForm meta={m} peer={peer} values={edit?.values ?? valuesOf(peer)} errors={edit?.errors} />
        <form method="post" action={`/peers/${peer.id}/delete`} class="card">
          <Csrf token={m.csrf} />
          <h2>Delete</h2>
          <p>The peer leaves the interface and every route ACL at once.</p>
          <button type="submit" class="danger">
            Delete {peer.name}
          </button>
        </form>
      </Layout>,
      edit ? 422 : 200,
    );
  };

  app.get('/peers/:id', session, (c) => detail(c, peerId(c.req.param('id'))));

  app.post('/peers/:id', session, async (c) => {
    const id = peerId(c.req.param('id'));
    const form = await formOf(c);
    try {
      const { enabled: _keep, ...changes } = peerInput(form);
      await updatePeer({ ctx: c.get('ctx'), deps: peerDeps, input: { id, changes: UpdatePeerSchema.parse(changes) } });
      return redirect(c, `/peers/${id}?done=peer-saved`);
    } catch (err) {
      return detail(c, id, { values: form, errors: toFormErrors(err, PEER_FIELDS) });
    }
  });

  app.post('/peers/:id/toggle', session, async (c) => {
    const id = peerId(c.req.param('id'));
    const enabled = str(await formOf(c), 'enabled') === '1';
    await updatePeer({ ctx: c.get('ctx'), deps: peerDeps, input: { id, changes: { enabled } } });
    const back = c.req.header('referer')?.includes(`/peers/${id}`) ? `/peers/${id}` : '/peers';
    return redirect(c, `${back}?done=${enabled ? 'peer-enabled' : 'peer-disabled'}`);
  });

  app.post('/peers/:id/delete', session, async (c) => {
    await removePeer({ ctx: c.get('ctx'), deps: peerDeps, input: { id: peerId(c.req.param('id')) } });
    return redirect(c, '/peers?done=peer-deleted');
  });

  app.get('/peers/:id/config', session, async (c) => {
    const { filename, text } = await peerConfig({
      ctx: c.get('ctx'),
      deps: peerDeps,
      input: { id: peerId(c.req.param('id')) },
    });
    c.header('Content-Disposition', `attachment; filename="${filename}"`);
    c.header('Cache-Control', 'no-store');
    return c.text(text);
  });
}
