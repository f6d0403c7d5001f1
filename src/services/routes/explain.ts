import { isIP } from 'node:net';
import type { ExplainExtra } from '../../caddy/data-plane.ts';
import type { ServiceContext } from '../../context.ts';
import { AppError, NotFoundError, UnavailableError, ValidationError } from '../../errors.ts';
import { getRoute } from './read.ts';

/**
 * Asks the gatehouse module, not a copy of its logic: the answer comes from the same code that enforces,
 * so explain and enforcement cannot disagree.
 */
export async function explainRoute({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { id: number; ip: string } & ExplainExtra;
}) {
  const route = await getRoute({ ctx, input: { id: input.id } });
  const ip = input.ip.trim();
  if (isIP(ip.replace(/^\[|\]$/g, '')) === 0)
    throw new ValidationError([{ field: 'ip', message: `"${ip}" is not an IP address` }]);
  const dataPlane = ctx.hooks?.dataPlane;
  if (!dataPlane?.available)
    throw new UnavailableError('the data plane (Caddy) is not running; explain asks it directly');
  const { at, method, path } = input;
  const res = await dataPlane.explain(String(route.id), ip, { at, method, path });
  if (res.status === 404) {
    if (!route.enabled) throw new AppError('not_found', `route ${route.id} is disabled, so nothing reaches it`);
    throw new NotFoundError('route in the applied data-plane snapshot', route.id);
  }
  if (res.status !== 200) throw new AppError('internal', `the data plane answered ${res.status} to explain`);
  return res.body as Record<string, unknown>;
}
