import { createRoute, z } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { accessLogStream } from '../http/access-log-stream.ts';
import type { AppDeps } from '../http/types.ts';
import {
  AccessLogExportQuerySchema,
  AccessLogListQuerySchema,
  AccessLogPageSchema,
  AccessLogStreamQuerySchema,
} from '../schemas/access-log.ts';
import { errorResponses } from '../schemas/common.ts';
import { CSV_COLUMNS, csvLine, exportAccessLog, listAccessLog } from '../services/access-log/query.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];

/** `/api/v1/access-log`: the data plane's access log as stored (newest first), its export and its live tail. */
export function accessLogApi(deps: AppDeps) {
  const app = newApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listAccessLog',
      tags: ['access-log'],
      summary: 'Access log entries, newest first; filter by route, address, decision, check, rule and time',
      security,
      request: { query: AccessLogListQuerySchema },
      responses: {
        200: { description: 'One page', content: { 'application/json': { schema: AccessLogPageSchema } } },
        ...errorResponses(401, 403, 422),
      },
    }),
    async (c) => c.json(await listAccessLog(deps.db, c.req.valid('query')), 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/export',
      operationId: 'exportAccessLog',
      tags: ['access-log'],
      summary: 'The filtered entries as a CSV or JSON download (newest first, at most `limit`)',
      security,
      request: { query: AccessLogExportQuerySchema },
      responses: {
        200: {
          description: 'The export',
          content: { 'text/csv': { schema: z.string() }, 'application/json': { schema: z.string() } },
        },
        ...errorResponses(401, 403, 422),
      },
    }),
    (c) => {
      const q = c.req.valid('query');
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      c.header('Content-Type', q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
      c.header('Content-Disposition', `attachment; filename="access-log-${stamp}.${q.format}"`);
      c.header('Cache-Control', 'no-store');
      c.header('X-Content-Type-Options', 'nosniff');
      return stream(c, async (out) => {
        let first = true;
        await out.write(q.format === 'csv' ? `${CSV_COLUMNS.join(',')}\r\n` : '[');
        for await (const e of exportAccessLog(deps.db, q)) {
          if (out.aborted) return;
          if (q.format === 'csv') await out.write(csvLine(e));
          else {
            await out.write(`${first ? '' : ','}\n${JSON.stringify(e)}`);
            first = false;
          }
        }
        if (q.format === 'json') await out.write('\n]\n');
      }) as never;
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/stream',
      operationId: 'streamAccessLog',
      tags: ['access-log'],
      summary: 'Live tail: new entries matching the filters as server-sent events (`entry`, `dropped`)',
      security,
      request: { query: AccessLogStreamQuerySchema },
      responses: {
        200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...errorResponses(401, 403, 422, 503),
      },
    }),
    (c) => accessLogStream(c, deps.accessLog?.live, c.req.valid('query')) as never,
  );
  return app;
}
