import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { AppError } from '../../errors.ts';
import type { AppDeps } from '../../http/types.ts';
import { CreatePeerSchema, UpdatePeerSchema } from '../../schemas/peers.ts';
import { peerConfig, peerQr } from '../../services/peers/config.ts';
import { createPeer } from '../../services/peers/create.ts';
import { getPeer } from '../../services/peers/get.ts';
import { peerHistory } from '../../services/peers/history.ts';
import { listPeers } from '../../services/peers/list.ts';
import { offlinePeerDeps } from '../../services/peers/offline.ts';
import { removePeer } from '../../services/peers/remove.ts';
import { updatePeer } from '../../services/peers/update.ts';
import { isConfirmed, toConfirmPage } from '../shared/confirm.tsx';
import { type Form, type FormErrors, str, toFormErrors } from '../shared/forms.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { confirmPeerDelete } from './confirm.tsx';
import { PEER_FIELDS, peerInput } from './input.ts';
import { PeerPage } from './pages/detail.tsx';
import { NewPeerPage, PeersPage } from './pages/list.tsx';

const peerId = (raw: string) => {
  const id = Number(raw);
  return Number.isInteger(id) && id > 0 ? id : 0;
};

/** The dashboard's peers: list, create, edit, enable/disable, delete, and the client config (QR and file). */
export function peersDashboard(deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  const peerDeps = deps.peers ?? offlinePeerDeps();

  const detail = async (c: Context<DashEnv>, id: number, edit?: { values: Form; errors: FormErrors }) => {
    const ctx = c.get('ctx');
    const peer = await getPeer({ ctx, deps: peerDeps, input: { id } });
    const history = await peerHistory({ ctx, deps: peerDeps, input: { id } });
    let qr: string | undefined;
    let qrProblem: string | undefined;
    let configText: string | undefined;
    if (peer.has_private_key) {
      try {
        qr = String((await peerQr({ ctx, deps: peerDeps, input: { id, format: 'svg' } })).body);
        configText = (await peerConfig({ ctx, deps: peerDeps, input: { id } })).text;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        qrProblem = err.message;
      }
    } else qrProblem = 'This peer brought its own key, so the server cannot write its config file.';
    return page(
      c,
      <PeerPage
        meta={meta(c, peer.name, '/peers')}
        peer={peer}
        history={history}
        qr={qr}
        qrProblem={qrProblem}
        configText={configText}
        edit={edit}
      />,
      edit ? 422 : 200,
    );
  };

  app.get('/peers', session, async (c) => {
    const q = c.req.query('q')?.trim().slice(0, 64) || undefined;
    const tag = c.req.query('tag')?.trim().toLowerCase() || undefined;
    const result = await listPeers({
      ctx: c.get('ctx'),
      deps: peerDeps,
      input: { q, tag: tag && /^[a-z0-9][a-z0-9_.-]{0,31}$/.test(tag) ? tag : undefined, limit: 500, offset: 0 },
    });
    return page(
      c,
      <PeersPage meta={meta(c, 'Peers')} q={q} tag={tag} peers={result.data} total={result.pagination.total} />,
    );
  });

  app.get('/peers/new', session, (c) =>
    page(c, <NewPeerPage meta={meta(c, 'New peer', '/peers')} values={{ tunnel_mode: 'split' }} />),
  );

  app.post('/peers', session, async (c) => {
    const form = await formOf(c);
    try {
      const input = CreatePeerSchema.parse(peerInput(form));
      const peer = await createPeer({ ctx: c.get('ctx'), deps: peerDeps, input });
      return redirect(c, `/peers/${peer.id}?done=peer-created`);
    } catch (err) {
      const errors = toFormErrors(err, PEER_FIELDS);
      return page(c, <NewPeerPage meta={meta(c, 'New peer', '/peers')} values={form} errors={errors} />, 422);
    }
  });

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

  app.get('/peers/:id/delete', session, (c) => confirmPeerDelete(c, peerDeps, peerId(c.req.param('id'))));

  app.post('/peers/:id/delete', session, async (c) => {
    if (!isConfirmed(await formOf(c))) return toConfirmPage(c);
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

  return app;
}
