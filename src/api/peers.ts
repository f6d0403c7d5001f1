import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, IdParamSchema } from '../schemas/common.ts';
import {
  CreatePeerSchema,
  PeerHistorySchema,
  PeerListQuerySchema,
  PeerListSchema,
  PeerSchema,
  QrQuerySchema,
  UpdatePeerSchema,
} from '../schemas/peers.ts';
import { peerConfig, peerQr } from '../services/peers/config.ts';
import { createPeer } from '../services/peers/create.ts';
import type { PeerDeps } from '../services/peers/deps.ts';
import { getPeer } from '../services/peers/get.ts';
import { peerHistory } from '../services/peers/history.ts';
import { listPeers } from '../services/peers/list.ts';
import { offlinePeerDeps } from '../services/peers/offline.ts';
import { removePeer } from '../services/peers/remove.ts';
import { updatePeer } from '../services/peers/update.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

/**
 * `/api/v1/peers`. Reads need the read scope, changes the write scope. The config file and its QR code
 * carry the peer's private key, so they need write too: a read-only token (monitoring, dashboards) must not
 * be able to join the VPN as someone else.
 */
export function peersApi(deps: { peers?: PeerDeps | undefined }) {
  const peers = deps.peers ?? offlinePeerDeps();
  const app = newApiRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listPeers',
      tags: ['peers'],
      summary: 'List peers (filter by tag, enabled, name; paginated). Keys other than public ones are never listed.',
      security,
      request: { query: PeerListQuerySchema },
      responses: { 200: { description: 'Peers', content: json(PeerListSchema) }, ...errorResponses(401, 403, 422) },
    }),
    async (c) => c.json(await listPeers({ ctx: c.get('ctx'), deps: peers, input: c.req.valid('query') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createPeer',
      tags: ['peers'],
      summary: 'Create a peer: keys generated unless public_key is given, address allocated unless given',
      security,
      request: { body: { content: json(CreatePeerSchema), required: true } },
      responses: {
        201: { description: 'Created', content: json(PeerSchema) },
        ...errorResponses(401, 403, 409, 422, 503),
      },
    }),
    async (c) => c.json(await createPeer({ ctx: c.get('ctx'), deps: peers, input: c.req.valid('json') }), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getPeer',
      tags: ['peers'],
      summary: 'One peer with live stats (handshake, transfer) read from the interface',
      security,
      request: { params: IdParamSchema },
      responses: { 200: { description: 'Peer', content: json(PeerSchema) }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => c.json(await getPeer({ ctx: c.get('ctx'), deps: peers, input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/{id}',
      operationId: 'updatePeer',
      tags: ['peers'],
      summary: 'Change a peer (partial). Disabling removes it from the interface and from route ACLs.',
      security,
      request: { params: IdParamSchema, body: { content: json(UpdatePeerSchema), required: true } },
      responses: {
        200: { description: 'Updated', content: json(PeerSchema) },
        ...errorResponses(401, 403, 404, 409, 422, 503),
      },
    }),
    async (c) =>
      c.json(
        await updatePeer({
          ctx: c.get('ctx'),
          deps: peers,
          input: { id: c.req.valid('param').id, changes: c.req.valid('json') },
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'deletePeer',
      tags: ['peers'],
      summary: 'Delete a peer (off the interface and out of route ACLs at once)',
      security,
      request: { params: IdParamSchema },
      responses: {
        200: { description: 'The deleted peer', content: json(PeerSchema) },
        ...errorResponses(401, 403, 404, 503),
      },
    }),
    async (c) => c.json(await removePeer({ ctx: c.get('ctx'), deps: peers, input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/config',
      operationId: 'getPeerConfig',
      tags: ['peers'],
      summary: 'The peer’s wg-quick file (contains its private key; needs the write scope)',
      security,
      request: { params: IdParamSchema },
      responses: {
        200: { description: 'wg-quick configuration', content: { 'text/plain': { schema: z.string() } } },
        ...errorResponses(401, 403, 404, 409, 503),
      },
    }),
    async (c) => {
      const { filename, text } = await peerConfig({ ctx: c.get('ctx'), deps: peers, input: c.req.valid('param') });
      c.header('Content-Disposition', `attachment; filename="${filename}"`);
      c.header('Cache-Control', 'no-store');
      return c.text(text, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/qr',
      operationId: 'getPeerQr',
      tags: ['peers'],
      summary: 'The wg-quick file as a QR code for the mobile apps (SVG or PNG; needs the write scope)',
      security,
      request: { params: IdParamSchema, query: QrQuerySchema },
      responses: {
        200: {
          description: 'QR code',
          content: {
            'image/svg+xml': { schema: z.string() },
            'image/png': { schema: z.string().openapi({ format: 'binary' }) },
          },
        },
        ...errorResponses(401, 403, 404, 409, 422, 503),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { format } = c.req.valid('query');
      const qr = await peerQr({ ctx: c.get('ctx'), deps: peers, input: { id, format } });
      c.header('Content-Type', qr.contentType);
      c.header('Cache-Control', 'no-store');
      return c.body(qr.body as string, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/stats',
      operationId: 'getPeerStats',
      tags: ['peers'],
      summary: 'Recent traffic and handshakes (one point per poll interval, up to 24 h)',
      security,
      request: { params: IdParamSchema },
      responses: {
        200: { description: 'History', content: json(PeerHistorySchema) },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => c.json(await peerHistory({ ctx: c.get('ctx'), deps: peers, input: c.req.valid('param') }), 200),
  );

  return app;
}
