// A real OpenID provider for the tests (the certified `oidc-provider` package), in its own process so a test can
// shift its clock (CLOCK_SHIFT_SECONDS) and stop it (kill) without touching the test's own process.
// Loopback only. Its own tiny login page (no consent step: every grant is given), so nothing is fetched from
// outside. Prints one JSON line `{"issuer": "..."}` when it listens.
import http from 'node:http';
import Provider from 'oidc-provider';

const shift = Number(process.env.CLOCK_SHIFT_SECONDS ?? '0');
if (shift) {
  const realNow = Date.now;
  Date.now = () => realNow() + shift * 1000;
}
const clients = JSON.parse(process.env.OIDC_CLIENTS ?? '[]');
/** login name → claims (email, name, groups). */
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS ?? '{}');
const port = Number(process.env.OIDC_PORT ?? '0');

const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients,
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    async findAccount(_ctx, id) {
      const claims = accounts[id];
      if (!claims) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email_verified: true, ...claims }) };
    },
    async loadExistingGrant(ctx) {
      const existing = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile groups');
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const match = /^\/interaction\/([\w-]+)$/.exec(req.url ?? '');
    if (!match) return callback(req, res);
    try {
      if (req.method === 'GET') {
        await provider.interactionDetails(req, res);
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(
          `<!doctype html><title>Test provider</title><form method="post" action="/interaction/${match[1]}">` +
            '<label>Login <input name="login" autocomplete="off"></label><button type="submit">Sign in</button></form>',
        );
        return;
      }
      let body = '';
      for await (const chunk of req) body += chunk;
      const login = new URLSearchParams(body).get('login') ?? '';
      const result = accounts[login]
        ? { login: { accountId: login } }
        : { error: 'access_denied', error_description: 'unknown test account' };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
