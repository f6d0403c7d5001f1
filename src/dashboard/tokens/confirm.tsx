import type { Context } from 'hono';
import { NotFoundError } from '../../errors.ts';
import { listTokens } from '../../services/tokens/list.ts';
import { ConfirmPage } from '../shared/confirm.tsx';
import { ago } from '../shared/layout.tsx';
import { meta, page } from '../shared/render.ts';
import type { DashEnv } from '../shared/session.ts';

/** "Revoke token?": what holds it (its scope, when it was last used) loses access at once. */
export async function confirmTokenRevoke(c: Context<DashEnv>, id: number) {
  const token = (await listTokens({ ctx: c.get('ctx') })).find((t) => t.id === id && !t.revoked_at);
  if (!token) throw new NotFoundError('token', id);
  const used = token.last_used_at ? `last used ${ago(token.last_used_at)}` : 'never used so far';
  return page(
    c,
    <ConfirmPage
      meta={meta(c, `Revoke token ${token.name}?`, '/tokens')}
      action={`/tokens/${id}/revoke`}
      verb={`Revoke ${token.name}`}
      consequences={[
        `Every script or client using ${token.prefix}… (scope ${token.scope}, ${used}) gets 401 at once.`,
        'A revoked token cannot be turned back on; make a new one if it is still needed.',
      ]}
      cancelHref="/tokens"
    />,
  );
}
