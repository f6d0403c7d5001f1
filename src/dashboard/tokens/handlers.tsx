import { Hono, type MiddlewareHandler } from 'hono';
import { CreateTokenSchema } from '../../schemas/tokens.ts';
import { createToken } from '../../services/tokens/create.ts';
import { listTokens } from '../../services/tokens/list.ts';
import { revokeToken } from '../../services/tokens/revoke.ts';
import { isConfirmed, toConfirmPage } from '../shared/confirm.tsx';
import { str, toFormErrors } from '../shared/forms.ts';
import { OnceStore } from '../shared/once.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { confirmTokenRevoke } from './confirm.tsx';
import { TokensPage } from './page.tsx';

/** The dashboard's API tokens: list, create (shown once after the redirect), revoke. */
export function tokensDashboard(session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  const justCreated = new OnceStore<{ name: string; token: string }>();

  app.get('/tokens', session, async (c) =>
    page(
      c,
      <TokensPage
        meta={meta(c, 'API tokens')}
        tokens={await listTokens({ ctx: c.get('ctx') })}
        created={justCreated.take(c.get('csrfToken') ?? '')}
      />,
    ),
  );

  app.post('/tokens', session, async (c) => {
    const ctx = c.get('ctx');
    const form = await formOf(c);
    const expiry = str(form, 'expires_at');
    try {
      const input = CreateTokenSchema.parse({
        name: str(form, 'name'),
        scope: str(form, 'scope') || 'read',
        expires_at: expiry ? (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(expiry) ? `${expiry}:00Z` : expiry) : null,
      });
      const created = await createToken({ ctx, input });
      justCreated.put(c.get('csrfToken') ?? '', { name: created.name, token: created.token });
      return redirect(c, '/tokens');
    } catch (err) {
      const errors = toFormErrors(err, ['name', 'scope', 'expires_at']);
      return page(
        c,
        <TokensPage meta={meta(c, 'API tokens')} tokens={await listTokens({ ctx })} values={form} errors={errors} />,
        422,
      );
    }
  });

  const tokenId = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : 0);

  app.get('/tokens/:id/revoke', session, (c) => confirmTokenRevoke(c, tokenId(c.req.param('id'))));

  app.post('/tokens/:id/revoke', session, async (c) => {
    if (!isConfirmed(await formOf(c))) return toConfirmPage(c);
    const id = Number(c.req.param('id'));
    await revokeToken({ ctx: c.get('ctx'), input: { id: Number.isInteger(id) ? id : 0 } });
    return redirect(c, '/tokens?done=token-revoked');
  });
  return app;
}
