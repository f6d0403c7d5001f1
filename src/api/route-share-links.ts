import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, IdParamSchema } from '../schemas/common.ts';
import { CreatedShareLinkSchema, CreateShareLinkSchema, ShareLinkSchema } from '../schemas/share-links.ts';
import { createShareLink, listShareLinks, revokeShareLink } from '../services/route-auth/share-links.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const tags = ['route auth'];
const LinkParams = IdParamSchema.extend({
  link_id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'link_id', in: 'path' }, example: 1 }),
});

/** Share links of a route with a login: time-limited, optionally use-limited, listed and revocable. */
export function routeShareLinksApi() {
  const app = newApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/share-links',
      operationId: 'listShareLinks',
      tags,
      summary: "List a route's share links (the links themselves are never shown again)",
      security,
      request: { params: IdParamSchema },
      responses: {
        200: {
          description: 'Share links',
          content: { 'application/json': { schema: z.object({ data: z.array(ShareLinkSchema) }) } },
        },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => c.json({ data: await listShareLinks({ ctx: c.get('ctx'), routeId: c.req.valid('param').id }) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/share-links',
      operationId: 'createShareLink',
      tags,
      summary: 'Create a share link that opens a route session; the link is in this response only',
      security,
      request: {
        params: IdParamSchema,
        body: { content: { 'application/json': { schema: CreateShareLinkSchema } }, required: true },
      },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: CreatedShareLinkSchema } } },
        ...errorResponses(401, 403, 404, 409, 422),
      },
    }),
    async (c) =>
      c.json(
        await createShareLink({ ctx: c.get('ctx'), routeId: c.req.valid('param').id, input: c.req.valid('json') }),
        201,
      ),
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}/share-links/{link_id}',
      operationId: 'revokeShareLink',
      tags,
      summary: 'Revoke a share link; the sessions it opened end at once',
      security,
      request: { params: LinkParams },
      responses: {
        200: { description: 'Revoked', content: { 'application/json': { schema: ShareLinkSchema } } },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const { id, link_id } = c.req.valid('param');
      return c.json(await revokeShareLink({ ctx: c.get('ctx'), routeId: id, linkId: link_id }), 200);
    },
  );
  return app;
}
