import { Hono, type MiddlewareHandler } from 'hono';
import type { Config } from '../../config/index.ts';
import { ChallengeStore } from '../../services/passkeys/challenges.ts';
import { addPasskey, listPasskeys, registrationOptions, removePasskey } from '../../services/passkeys/index.ts';
import { Csrf, Layout } from '../shared/layout.tsx';
import { relyingParty } from '../shared/relying-party.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';

/**
 * The signed-in admin's passkeys (account page): list, add (through /assets/passkeys.js: options, then the
 * browser's answer), remove. With a passkey the password login asks for it as a second step, and the login
 * page can use it alone (passwordless).
 */
export function passkeysDashboard(config: Config, session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  const challenges = new ChallengeStore();
  const ownId = (c: { get: (k: 'actor') => DashEnv['Variables']['actor'] }) => {
    const actor = c.get('actor');
    return actor.kind === 'admin' ? actor.id : 0;
  };

  app.get('/account/passkeys', session, async (c) => {
    const m = meta(c, 'Passkeys', '/account');
    const keys = await listPasskeys(c.get('ctx').db, ownId(c));
    return page(
      c,
      <Layout meta={m}>
        <h1>Passkeys</h1>
        <p>
          A passkey (a security key, or the device's own lock) confirms your logins after the password, or logs you in
          without one.
        </p>
        <ul class="passkeys">
          {keys.map((k) => (
            <li id={`passkey-${k.id}`}>
              <strong>{k.name}</strong> <span class="hint">added {k.createdAt.toISOString().slice(0, 10)}</span>
              <form method="post" action={`/account/passkeys/${k.id}/delete`} class="inline">
                <Csrf token={m.csrf} />
                <button type="submit" class="secondary">
                  Remove
                </button>
              </form>
            </li>
          ))}
        </ul>
        <div class="card">
          <label for="passkey-name">Name of the new passkey</label>
          <input id="passkey-name" maxlength={64} value="My passkey" />
          <button type="button" id="passkey-add" class="primary">
            Add a passkey
          </button>
          <p id="passkey-status" role="status" />
        </div>
      </Layout>,
    );
  });

  app.post('/account/passkeys/options', session, async (c) => {
    const options = await registrationOptions({ ctx: c.get('ctx'), rp: relyingParty(config, c) });
    challenges.put(c.get('csrfToken') ?? '', options.challenge, Date.now());
    c.header('Cache-Control', 'no-store');
    return c.json(options);
  });

  app.post('/account/passkeys', session, async (c) => {
    const waiting = challenges.take(c.get('csrfToken') ?? '', Date.now());
    if (!waiting) return c.json({ error: { code: 'unauthorized', message: 'the prompt expired; try again' } }, 401);
    const body = (await c.req.json().catch(() => null)) as { name?: unknown; response?: unknown } | null;
    const added = await addPasskey({
      ctx: c.get('ctx'),
      rp: relyingParty(config, c),
      input: { name: body?.name, response: body?.response as never, expectedChallenge: waiting.challenge },
    });
    return c.json(added, 201);
  });

  app.post('/account/passkeys/:id/delete', session, async (c) => {
    await formOf(c);
    const raw = c.req.param('id');
    await removePasskey({ ctx: c.get('ctx'), input: { id: /^\d{1,9}$/.test(raw) ? Number(raw) : 0 } });
    return redirect(c, '/account/passkeys?done=passkey-removed');
  });
  return app;
}
