import { createRoute, z } from '@hono/zod-openapi';
import { roleAtLeast } from '../auth/roles.ts';
import { ForbiddenError } from '../errors.ts';
import { actorRole } from '../http/middleware.ts';
import { errorResponses } from '../schemas/common.ts';
import { ConfigUploadSchema, PlanEntrySchema } from '../schemas/config-file.ts';
import { applyConfigFile } from '../services/config-file/apply.ts';
import { exportConfig } from '../services/config-file/export.ts';
import { parseConfigText } from '../services/config-file/parse.ts';
import { parseJsonInput, runImport } from '../services/import/common.ts';
import { convertGateControlBackup } from '../services/import/gatecontrol.ts';
import { convertNpmExport } from '../services/import/npm.ts';
import type { PeerDeps } from '../services/peers/deps.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];

const ExportQuerySchema = z.object({
  format: z.enum(['yaml', 'json']).default('yaml'),
  with_secrets: z
    .enum(['true', 'false'])
    .default('false')
    .openapi({ description: 'Private keys, preshared keys, password hashes and TOTP secrets (admin scope)' }),
});

const ApplyResultSchema = z
  .object({
    entries: z.array(PlanEntrySchema),
    text: z.string().openapi({ description: 'The plan for people' }),
    applied: z.boolean(),
    config_version: z.number().nullable(),
    data_plane: z.enum(['applied', 'pending', 'unchanged']),
    gateway_tokens: z.array(z.object({ name: z.string(), token: z.string() })).openapi({
      description: 'Tokens of gateways this apply created (shown once)',
    }),
  })
  .openapi('ConfigApplyResult');

/**
 * `/api/v1/config`: the whole configuration as a file (docs/config-file.md). Export reads; plan and apply
 * change nothing or everything in one transaction. Secrets leave only with the admin scope.
 */
export function configApi(peers: PeerDeps | undefined) {
  const app = newApiRouter();
  // Roles come from the one permission table (src/http/permissions.ts); a query parameter is not part of it, so
  // secrets in an export are checked here: they leave only for an admin.
  app.use('/export', async (c, next) => {
    const role = actorRole(c.get('actor'));
    if (c.req.query('with_secrets') === 'true' && !(role && roleAtLeast(role, 'admin'))) {
      throw new ForbiddenError('an export with secrets needs the admin role');
    }
    await next();
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/export',
      operationId: 'exportConfig',
      tags: ['config'],
      summary: 'The whole configuration as a file (YAML or JSON, version 1); secrets only with with_secrets',
      security,
      request: { query: ExportQuerySchema },
      responses: {
        200: { description: 'The file', content: { 'text/plain': { schema: z.string() } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const text = await exportConfig({
        ctx: c.get('ctx'),
        input: { format: q.format, withSecrets: q.with_secrets === 'true' },
      });
      return c.text(text, 200, { 'content-type': q.format === 'json' ? 'application/json' : 'application/yaml' });
    },
  );

  for (const [path, operationId, summary, dryRun] of [
    ['/plan', 'planConfig', 'What applying a configuration file would create, change and (prune) delete', true],
    ['/apply', 'applyConfig', 'Apply a configuration file: one transaction, one data-plane push', false],
  ] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path,
        operationId,
        tags: ['config'],
        summary,
        security,
        request: { body: { content: { 'application/json': { schema: ConfigUploadSchema } }, required: true } },
        responses: {
          200: {
            description: 'The plan, and whether it was applied',
            content: { 'application/json': { schema: ApplyResultSchema } },
          },
          ...errorResponses(401, 403, 409, 422),
        },
      }),
      async (c) => {
        const body = c.req.valid('json');
        const parsed = parseConfigText(body.content, body.filename ?? 'upload');
        const result = await applyConfigFile(c.get('ctx'), parsed, {
          prune: body.prune,
          dryRun,
          network: peers?.network,
        });
        return c.json(result, 200);
      },
    );
  }
  app.openapi(
    createRoute({
      method: 'post',
      path: '/import',
      operationId: 'importConfig',
      tags: ['config'],
      summary:
        'Import from GateControl or Nginx Proxy Manager through the same plan and apply; lists what cannot be mapped',
      security,
      request: { body: { content: { 'application/json': { schema: ImportUploadSchema } }, required: true } },
      responses: {
        200: {
          description: 'The plan, what was not mapped, and whether it was applied',
          content: {
            'application/json': {
              schema: ApplyResultSchema.extend({ unmapped: z.array(z.string()), file: z.string() }),
            },
          },
        },
        ...errorResponses(401, 403, 409, 422),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const converted =
        body.source === 'npm'
          ? convertNpmExport(parseJsonInput(body.content, 'Nginx Proxy Manager export'))
          : convertGateControlBackup(parseJsonInput(body.content, 'GateControl backup'));
      const result = await runImport(c.get('ctx'), converted, `${body.source}-import.json`, {
        prune: body.prune,
        dryRun: !body.apply,
        network: peers?.network,
      });
      return c.json(result, 200);
    },
  );
  return app;
}

const ImportUploadSchema = z
  .object({
    source: z.enum(['gatecontrol', 'npm']),
    content: z.string().openapi({
      description:
        "The source's file: GateControl's backup JSON, or Nginx Proxy Manager's API listings { proxy_hosts, streams, access_lists } or database tables { proxy_host, stream, access_list, access_list_client }",
    }),
    apply: z.boolean().default(false).openapi({ description: 'false: plan only' }),
    prune: z.boolean().default(false),
  })
  .openapi('ConfigImport');
