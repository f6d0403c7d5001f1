import { Hono, type MiddlewareHandler } from 'hono';
import type { ZodError } from 'zod';
import { AuditQuerySchema } from '../../schemas/audit.ts';
import { queryAudit } from '../../services/audit/list.ts';
import { meta, page } from '../shared/render.ts';
import type { DashEnv } from '../shared/session.ts';
import { type AuditFilters, AuditPage } from './page.tsx';

const FILTER_KEYS = ['resource_type', 'resource_id', 'actor', 'action', 'since', 'until'] as const;

/** `/audit`: the audit log page (admin sessions only, as the API's admin scope). */
export function auditDashboard(session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  app.get('/audit', session, async (c) => {
    const filters: AuditFilters = {};
    for (const k of FILTER_KEYS) {
      const v = c.req.query(k)?.trim();
      if (v) filters[k] = v.slice(0, 200);
    }
    const raw = { ...filters, offset: c.req.query('offset') ?? '0', limit: '50' };
    const parsed = AuditQuerySchema.safeParse(raw);
    const m = meta(c, 'Audit log');
    if (!parsed.success) {
      const error = (parsed.error as ZodError).issues.map((i) => i.message).join('; ');
      return page(
        c,
        <AuditPage meta={m} entries={[]} filters={filters} total={0} offset={0} limit={50} error={error} />,
        422,
      );
    }
    const result = await queryAudit({ ctx: c.get('ctx'), input: parsed.data });
    return page(
      c,
      <AuditPage
        meta={m}
        entries={result.data}
        filters={filters}
        total={result.pagination.total}
        offset={parsed.data.offset}
        limit={parsed.data.limit}
      />,
    );
  });
  return app;
}
