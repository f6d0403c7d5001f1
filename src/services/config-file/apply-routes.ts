import { and, eq, notInArray } from 'drizzle-orm';
import { secretBoxFor } from '../../auth/secret-box.ts';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { routeAuthUsers, routes } from '../../db/schema/index.ts';
import { ValidationError } from '../../errors.ts';
import { OPEN_POLICY } from '../../policy/schema.ts';
import { endSessionsOnAuthChange } from '../route-auth/rules.ts';
import { routeUsesLogin } from '../routes/access.ts';
import { prepareRoute } from '../routes/prepare.ts';
import type { RouteDraft } from '../routes/resolve.ts';
import { fileField, type RoutePlan } from './desired.ts';
import { type CanonicalEntry, mapPeerValues } from './document.ts';
import type { ParsedConfigFile } from './parse.ts';

export interface IdMaps {
  peers: Map<string, number>;
  gateways: Map<string, number>;
  policies: Map<string, number>;
  routes: Map<string, number>;
  /** The server's identity providers by name (never created by a file: they hold a client secret). */
  providers: Map<string, number>;
}

interface FileUser {
  username: string;
  password_hash?: string;
  totp_secret?: string | null;
}

/**
 * One route of the file, created or changed inside the apply transaction through the route service's own
 * checks (prepareRoute: references, policy fit, conflicts, the gateway port). A route declares all of itself:
 * fields the file leaves out take the defaults, except the password hash, which is kept unless given.
 */
export async function applyRouteEntry(
  ctx: ServiceContext,
  tx: Tx,
  { entry, plan, ids, parsed }: { entry: CanonicalEntry; plan: RoutePlan; ids: IdMaps; parsed: ParsedConfigFile },
) {
  const index = parsed.file.routes.findIndex((r) => r.name === entry.name);
  const rethrow = (err: unknown): never => {
    if (!(err instanceof ValidationError)) throw err;
    return parsed.fail(
      err.issues.map((i) => ({
        path: ['routes', index, ...fileField(i.field).split('.')],
        message: i.message,
      })),
    );
  };
  const draft: RouteDraft = {
    ...plan.draft,
    peerId: plan.peer ? ids.peers.get(plan.peer)! : null,
    gatewayId: plan.gateway ? ids.gateways.get(plan.gateway)! : null,
    // Members by name in the file, by this server's ids in the row.
    pool: plan.draft.pool && {
      ...plan.draft.pool,
      members: plan.draft.pool.members.map((m, i) => ({ ...m, gateway_id: ids.gateways.get(plan.poolGateways[i]!)! })),
    },
    policyId: typeof plan.policy === 'string' ? ids.policies.get(plan.policy)! : null,
    policy: typeof plan.policy === 'string' ? null : mapPeerValues(plan.policy, (name) => String(ids.peers.get(name))),
    authProviderId: plan.provider ? ids.providers.get(plan.provider)! : null,
    gatewayPort: null,
  };
  const existingId = ids.routes.get(entry.name);
  const [existing] = existingId === undefined ? [] : await tx.select().from(routes).where(eq(routes.id, existingId));
  if (existing && draft.authPasswordHash === undefined) draft.authPasswordHash = existing.authPasswordHash;
  if (existing && existing.gatewayId === draft.gatewayId) draft.gatewayPort = existing.gatewayPort;
  const users = entry.users as FileUser[] | undefined;
  const now = ctx.now();

  let routeId = existingId;
  if (routeId === undefined) {
    // Users need the route's id; a login the users make possible is checked once they exist (below).
    const open = users?.length ? { ...draft, policyId: null, policy: OPEN_POLICY, basicAuthEnabled: false } : draft;
    const prepared = await prepareRoute({ ctx, tx, draft: open }).catch(rethrow);
    const [row] = await tx
      .insert(routes)
      .values({ ...prepared.draft, createdAt: now, updatedAt: now })
      .returning({ id: routes.id });
    routeId = row!.id;
    ids.routes.set(entry.name, routeId);
    if (!users?.length) return;
  }
  if (users)
    await syncUsers(ctx, tx, routeId, users, () =>
      parsed.fail([
        { path: ['routes', index, 'users'], message: 'a new user needs password_hash (export with --with-secrets)' },
      ]),
    );
  const prepared = await prepareRoute({ ctx, tx, draft, selfId: routeId }).catch(rethrow);
  const [before] = await tx.select().from(routes).where(eq(routes.id, routeId));
  await endSessionsOnAuthChange(
    tx,
    routeId,
    { ...before!, authEnabled: await routeUsesLogin(tx, before!) },
    { ...prepared.draft, authEnabled: prepared.authEnabled },
  );
  await tx
    .update(routes)
    .set({ ...prepared.draft, updatedAt: now })
    .where(eq(routes.id, routeId));
}

/** The route's users become the file's: missing ones deleted, new ones inserted, given hashes written. */
async function syncUsers(ctx: ServiceContext, tx: Tx, routeId: number, users: FileUser[], needsHash: () => never) {
  const box = secretBoxFor(ctx.config);
  const names = users.map((u) => u.username);
  await tx
    .delete(routeAuthUsers)
    .where(
      names.length
        ? and(eq(routeAuthUsers.routeId, routeId), notInArray(routeAuthUsers.username, names))
        : eq(routeAuthUsers.routeId, routeId),
    );
  const now = ctx.now();
  for (const u of users) {
    const [row] = await tx
      .select({ id: routeAuthUsers.id })
      .from(routeAuthUsers)
      .where(and(eq(routeAuthUsers.routeId, routeId), eq(routeAuthUsers.username, u.username)));
    const secret = u.totp_secret === undefined ? undefined : box.sealNullable(u.totp_secret);
    if (row) {
      const set = {
        updatedAt: now,
        ...(u.password_hash ? { passwordHash: u.password_hash } : {}),
        ...(secret !== undefined ? { totpSecret: secret } : {}),
      };
      await tx.update(routeAuthUsers).set(set).where(eq(routeAuthUsers.id, row.id));
      continue;
    }
    const passwordHash = u.password_hash ?? needsHash();
    await tx.insert(routeAuthUsers).values({
      routeId,
      username: u.username,
      passwordHash,
      totpSecret: secret ?? null,
      createdAt: now,
      updatedAt: now,
    });
  }
}
