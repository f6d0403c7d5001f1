import { readFileSync } from 'node:fs';
import { createRoute, z } from '@hono/zod-openapi';
import { NotFoundError } from '../errors.ts';
import { errorResponses } from '../schemas/common.ts';
import { backupPath, listBackups } from '../services/backup/schedule.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const BackupSchema = z
  .object({ name: z.string(), bytes: z.number(), created_at: z.string() })
  .openapi('Backup', { description: 'A scheduled backup in the data dir (age-encrypted with the backup passphrase)' });

/**
 * `/api/v1/backups`: the scheduled backups in the data dir (Settings: backup_interval_hours, backup_keep) and
 * their download. Admin scope: a backup holds every secret (sealed with the backup passphrase).
 */
export function backupsApi() {
  const app = newApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listBackups',
      tags: ['backups'],
      summary: 'Scheduled backups in the data dir, newest first',
      security,
      responses: {
        200: {
          description: 'Backups',
          content: { 'application/json': { schema: z.object({ data: z.array(BackupSchema) }) } },
        },
        ...errorResponses(401, 403),
      },
    }),
    (c) => c.json({ data: listBackups(c.get('ctx').config) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{name}',
      operationId: 'downloadBackup',
      tags: ['backups'],
      summary: 'Download one backup (restore it with gatehouse restore FILE)',
      security,
      request: {
        params: z.object({
          name: z
            .string()
            .max(64)
            .openapi({ param: { name: 'name', in: 'path' } }),
        }),
      },
      responses: {
        200: {
          description: 'The age-encrypted backup',
          content: { 'application/octet-stream': { schema: z.string() } },
        },
        ...errorResponses(401, 403, 404),
      },
    }),
    (c) => {
      const { name } = c.req.valid('param');
      const file = backupPath(c.get('ctx').config, name);
      if (!file) throw new NotFoundError('backup', name);
      return c.body(readFileSync(file), 200, {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${name}"`,
      });
    },
  );
  return app;
}
