import type { Context } from 'hono';
import { getPolicy } from '../../services/policies/read.ts';
import { ConfirmPage, count } from '../shared/confirm.tsx';
import { meta, page } from '../shared/render.ts';
import type { DashEnv } from '../shared/session.ts';

/** "Delete policy?": a policy that routes use cannot be deleted (the service refuses); the page names them. */
export async function confirmPolicyDelete(c: Context<DashEnv>, id: number) {
  const policy = await getPolicy({ ctx: c.get('ctx'), input: { id } });
  const used = policy.routes.map((r) => r.name);
  return page(
    c,
    <ConfirmPage
      meta={meta(c, `Delete policy ${policy.name}?`, '/policies')}
      action={`/policies/${id}/delete`}
      verb={`Delete ${policy.name}`}
      consequences={[
        used.length
          ? `${count(used.length, 'route')} use this policy: ${used.slice(0, 5).join(', ')}${used.length > 5 ? ', …' : ''}.`
          : 'No route uses this policy.',
      ]}
      blocked={used.length ? 'Give these routes another policy first.' : undefined}
      cancelHref={`/policies/${id}`}
    />,
  );
}
