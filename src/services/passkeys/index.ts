import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { and, eq, isNull } from 'drizzle-orm';
import { actorUserId, type ServiceContext } from '../../context.ts';
import type { Db } from '../../db/index.ts';
import { adminPasskeys, adminUsers } from '../../db/schema/index.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';

/** The relying party: the dashboard's public origin and its host name (src/http/origin.ts decides both). */
export interface RelyingParty {
  origin: string;
  id: string;
}

export const PASSKEY_NAME_MAX = 64;

function ownUserId(ctx: ServiceContext): number {
  const id = ctx.actor.kind === 'admin' ? actorUserId(ctx.actor) : undefined;
  if (id === undefined) throw new ForbiddenError('passkeys belong to a logged-in admin (not an API token)');
  return id;
}

/** A passkey's label: trimmed, 1–64 characters, no control characters. */
export function passkeyName(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.normalize('NFC').trim() : '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (!name || name.length > PASSKEY_NAME_MAX || /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(name))
    throw new ValidationError([
      { field: 'name', message: `must be 1–${PASSKEY_NAME_MAX} characters without control or direction characters` },
    ]);
  return name;
}

export async function listPasskeys(db: Db, userId: number) {
  return db.select().from(adminPasskeys).where(eq(adminPasskeys.userId, userId));
}

/** Options for adding a passkey to the caller's account (their existing ones are excluded). */
export async function registrationOptions({ ctx, rp }: { ctx: ServiceContext; rp: RelyingParty }) {
  const userId = ownUserId(ctx);
  const [user] = await ctx.db.select().from(adminUsers).where(eq(adminUsers.id, userId));
  if (!user) throw new NotFoundError('user', userId);
  const existing = await listPasskeys(ctx.db, userId);
  return generateRegistrationOptions({
    rpName: 'Gatehouse',
    rpID: rp.id,
    userName: user.username,
    userID: new TextEncoder().encode(`gatehouse-admin-${user.id}`),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports ?? [] })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
}

/** Verifies the browser's answer to `registrationOptions` and stores the credential (its public key only). */
export async function addPasskey({
  ctx,
  rp,
  input,
}: {
  ctx: ServiceContext;
  rp: RelyingParty;
  input: { name: unknown; response: RegistrationResponseJSON; expectedChallenge: string };
}) {
  const userId = ownUserId(ctx);
  const name = passkeyName(input.name);
  const result = await verifyRegistrationResponse({
    response: input.response,
    expectedChallenge: input.expectedChallenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    requireUserVerification: false,
  }).catch((err: Error) => {
    throw new ValidationError([{ field: 'response', message: `the passkey could not be verified: ${err.message}` }]);
  });
  if (!result.verified)
    throw new ValidationError([{ field: 'response', message: 'the passkey could not be verified' }]);
  const { credential } = result.registrationInfo;
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(adminPasskeys)
      .values({
        userId,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: credential.transports ?? [],
        name,
        createdAt: ctx.now(),
      })
      .returning({ id: adminPasskeys.id, name: adminPasskeys.name });
    await recordAudit({
      ctx,
      tx,
      input: { action: 'passkey.add', resourceType: 'passkey', resourceId: row!.id, after: row },
    });
    return row!;
  });
}

export async function removePasskey({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  const userId = ownUserId(ctx);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .delete(adminPasskeys)
      .where(and(eq(adminPasskeys.id, input.id), eq(adminPasskeys.userId, userId)))
      .returning({ id: adminPasskeys.id, name: adminPasskeys.name });
    if (!row) throw new NotFoundError('passkey', input.id);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'passkey.remove', resourceType: 'passkey', resourceId: row.id, before: row },
    });
  });
}

/**
 * Options for logging in with a passkey: for one user's credentials (the second step after a password) or
 * for any discoverable credential (passwordless; the browser offers the user's passkeys for this site).
 */
export async function authenticationOptions({ db, rp, userId }: { db: Db; rp: RelyingParty; userId?: number }) {
  const allow = userId === undefined ? [] : await listPasskeys(db, userId);
  return generateAuthenticationOptions({
    rpID: rp.id,
    userVerification: userId === undefined ? 'required' : 'preferred',
    allowCredentials: allow.map((p) => ({ id: p.credentialId, transports: p.transports ?? [] })),
  });
}

/**
 * Verifies a login assertion → the user it belongs to. Passwordless needs user verification (the passkey is
 * both factors then: something you have, unlocked by something you know or are); as a second step after the
 * password, presence is enough. A disabled user's passkey is refused like an unknown one.
 */
export async function verifyPasskeyLogin({
  db,
  rp,
  input,
  now,
}: {
  db: Db;
  rp: RelyingParty;
  now: Date;
  input: { response: AuthenticationResponseJSON; expectedChallenge: string; userId?: number | undefined };
}) {
  const credentialId = typeof input.response?.id === 'string' ? input.response.id.slice(0, 1024) : '';
  const [row] = await db
    .select({ passkey: adminPasskeys, user: adminUsers })
    .from(adminPasskeys)
    .innerJoin(adminUsers, eq(adminUsers.id, adminPasskeys.userId))
    .where(and(eq(adminPasskeys.credentialId, credentialId), isNull(adminUsers.disabledAt)));
  if (!row || (input.userId !== undefined && row.user.id !== input.userId))
    throw new UnauthorizedError('this passkey is not registered for this account');
  const result = await verifyAuthenticationResponse({
    response: input.response,
    expectedChallenge: input.expectedChallenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    credential: {
      id: row.passkey.credentialId,
      publicKey: new Uint8Array(Buffer.from(row.passkey.publicKey, 'base64url')),
      counter: row.passkey.counter,
      transports: (row.passkey.transports ?? []) as never,
    },
    requireUserVerification: input.userId === undefined,
  }).catch(() => ({ verified: false as const, authenticationInfo: undefined }));
  if (!result.verified || !result.authenticationInfo) throw new UnauthorizedError('the passkey could not be verified');
  await db
    .update(adminPasskeys)
    .set({ counter: result.authenticationInfo.newCounter, lastUsedAt: now })
    .where(eq(adminPasskeys.id, row.passkey.id));
  return row.user;
}
