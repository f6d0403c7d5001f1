// Admin users of every role over the real services: the bootstrap owner, invited users who set their password
// through the invite, an API login per user (session cookie + CSRF token) and a token each user made themselves.
import type { AdminRole } from '../../src/auth/roles.ts';
import type { ServiceContext } from '../../src/context.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { acceptInvite } from '../../src/services/users/accept.ts';
import { inviteUser } from '../../src/services/users/invite.ts';
import { systemContext, type testApp } from './env.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
export const PASSWORD = 'correct horse battery';
const SCOPE_OF: Record<AdminRole, 'read' | 'write' | 'admin'> = {
  viewer: 'read',
  operator: 'write',
  admin: 'admin',
  owner: 'admin',
};

export interface TestUser {
  id: number;
  username: string;
  role: AdminRole;
  session: { cookie: string; csrf: string };
  /** A token the user made with the widest scope their role allows. */
  token: string;
  ctx: ServiceContext;
}

/** Invites `username` with `role` and accepts the invite; returns the user's id. */
export async function invitedUser(env: Env, username: string, role: AdminRole, now = () => new Date()) {
  const invited = await inviteUser({
    ctx: systemContext(env, now),
    input: { username, role, expires_in_hours: 1 },
    baseUrl: 'http://localhost',
  });
  const token = invited.invite_url.split('/').pop()!;
  await acceptInvite({ ctx: systemContext(env, now), input: { token, password: PASSWORD } });
  return invited.id;
}

/** Logs `username` in over the API; the session's cookie and CSRF token. */
export async function sessionOf(env: Env, username: string) {
  const res = await env.call('POST', '/api/v1/auth/login', { body: { username, password: PASSWORD } });
  if (res.status !== 200) throw new Error(`login of ${username}: ${res.status} ${await res.text()}`);
  return {
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!,
    csrf: ((await res.json()) as { csrf_token: string }).csrf_token,
  };
}

/** The bootstrap owner plus one user per other role, each logged in and with a token of their own. */
export async function usersOfEveryRole(env: Env): Promise<Record<AdminRole, TestUser>> {
  await bootstrapAdmin({ ctx: systemContext(env) });
  const out: Partial<Record<AdminRole, TestUser>> = {};
  for (const role of ['owner', 'admin', 'operator', 'viewer'] as const) {
    const username = role === 'owner' ? env.config.admin.user : `the-${role}`;
    const id =
      role === 'owner'
        ? (await env.db.query.adminUsers.findFirst({ where: (u, { eq }) => eq(u.username, username) }))!.id
        : await invitedUser(env, username, role);
    const ctx: ServiceContext = { ...systemContext(env), actor: { kind: 'admin', id, username, role } };
    const token = (await createToken({ ctx, input: { name: `${role}'s token`, scope: SCOPE_OF[role] } })).token;
    out[role] = { id, username, role, session: await sessionOf(env, username), token, ctx };
  }
  return out as Record<AdminRole, TestUser>;
}

/** A request with a user's session (cookie + CSRF header) or bearer token. */
export function as(env: Env, who: { cookie: string; csrf: string } | string) {
  return (method: string, url: string, body?: unknown) =>
    env.call(method, url, {
      ...(typeof who === 'string' ? { token: who } : { headers: { cookie: who.cookie, 'x-csrf-token': who.csrf } }),
      ...(body !== undefined ? { body } : {}),
    });
}
