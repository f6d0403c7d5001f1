// Admin logins over the Hono app as a browser or an API client would make them, from a chosen client address
// (the Node server's `incoming` socket binding, as getConnInfo reads it), with a cookie jar per client.
import * as OTPAuth from 'otpauth';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { confirmTotpEnrollment, startTotpEnrollment } from '../../src/services/admin/totp.ts';
import { login } from '../../src/services/sessions/index.ts';
import { systemContext, type testApp } from './env.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
export const ADMIN = { username: 'admin', password: 'correct horse battery' };

/** The Node server's bindings for app.request: a socket from `remoteAddress`. */
export function from(remoteAddress: string) {
  const socket = {
    remoteAddress,
    localAddress: '192.0.2.1',
    remotePort: 40000,
    remoteFamily: remoteAddress.includes(':') ? 'IPv6' : 'IPv4',
  };
  return { incoming: { socket } };
}

/** Bootstraps the admin and turns TOTP on; returns a code generator for any instant. */
export async function adminWithTotp(env: Pick<Env, 'db' | 'config'>, now: () => Date) {
  const system = systemContext(env, now);
  await bootstrapAdmin({ ctx: system });
  const { id } = (await login({ ctx: system, input: ADMIN })).user;
  const admin = { ...system, actor: { kind: 'admin' as const, id, username: ADMIN.username, role: 'owner' as const } };
  const { secret } = await startTotpEnrollment({ ctx: admin });
  const app = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  // Enrollment consumes the current step; callers move the clock on before using a code.
  await confirmTotpEnrollment({ ctx: admin, input: { code: app.generate({ timestamp: now().getTime() }) } });
  const codeAt = (t: Date) => app.generate({ timestamp: t.getTime() });
  /** A code that is not valid now (nor in the ±1 window). */
  const wrongCode = (t: Date) => {
    const valid = new Set([-1, 0, 1].map((d) => codeAt(new Date(t.getTime() + d * 30_000))));
    for (let n = 0; ; n++) {
      const candidate = String(n).padStart(6, '0');
      if (!valid.has(candidate)) return candidate;
    }
  };
  return { codeAt, wrongCode };
}

/** A browser: keeps the cookies the app sets and sends them back; every request from one client address. */
export function browser(env: Env, address: string) {
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const request = async (method: string, url: string, form?: Record<string, string>, headers = {}) =>
    remember(
      await env.app.request(
        url,
        {
          method,
          headers: {
            cookie: cookie(),
            ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
            ...headers,
          },
          body: form ? new URLSearchParams(form).toString() : undefined,
        },
        from(address),
      ),
    );
  /** The hidden CSRF field of the last page this browser got. */
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return {
    jar,
    request,
    csrfOf,
    /** GET /login, then POST the password: the response (the TOTP page when the admin has TOTP). */
    async password(password: string, username = ADMIN.username) {
      const csrf = csrfOf(await (await request('GET', '/login')).text());
      return request('POST', '/login', { _csrf: csrf, username, password, next: '/' });
    },
    /** POST a TOTP code for the pending login. */
    async totp(code: string) {
      const csrf = csrfOf(await (await request('GET', '/login')).text());
      return request('POST', '/login/totp', { _csrf: csrf, code, next: '/' });
    },
  };
}

/** An API login from one client address. */
export function apiLogin(env: Env, address: string, body: Record<string, string>) {
  return env.app.request(
    '/api/v1/auth/login',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    from(address),
  );
}
