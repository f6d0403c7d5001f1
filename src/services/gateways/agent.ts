import type { GatewayStatusReport } from '@gatehouse/protocol';
import { eq } from 'drizzle-orm';
import { sha256Hex } from '../../auth/secrets.ts';
import type { Db } from '../../db/index.ts';
import { gateways } from '../../db/schema/index.ts';
import { UnauthorizedError } from '../../errors.ts';
import { GATEWAY_TOKEN_PREFIX } from './public.ts';
import { failingRoutes } from './read.ts';

/** Resolves an agent's bearer token to its gateway, or 401 (unknown, rotated and malformed alike). */
export async function authenticateGateway({ db, token }: { db: Db; token: string }) {
  if (!token.startsWith(GATEWAY_TOKEN_PREFIX)) throw new UnauthorizedError('invalid gateway token');
  const [row] = await db
    .select()
    .from(gateways)
    .where(eq(gateways.tokenHash, sha256Hex(token)));
  if (!row) throw new UnauthorizedError('invalid gateway token');
  return row;
}

/**
 * Stores an agent's status report. Telemetry, not a change: no audit entry (it arrives every 30 s per
 * gateway), one UPDATE.
 */
export async function recordGatewayStatus({
  db,
  input,
}: {
  db: Db;
  input: { id: number; report: GatewayStatusReport; now: Date };
}): Promise<{ failingChanged: boolean }> {
  const [before] = await db.select({ lastStatus: gateways.lastStatus }).from(gateways).where(eq(gateways.id, input.id));
  await db
    .update(gateways)
    .set({ lastSeenAt: input.now, appliedVersion: input.report.applied_version, lastStatus: input.report })
    .where(eq(gateways.id, input.id));
  const was = failingRoutes(before?.lastStatus ?? null).join(',');
  return { failingChanged: was !== failingRoutes(input.report).join(',') };
}

/** An agent opened its event stream: seen now, with the release and protocol it announced. */
export async function touchGateway({
  db,
  input,
}: {
  db: Db;
  input: { id: number; now: Date; agent?: { version: string | null; protocol: number } };
}) {
  const agent = input.agent ? { agentVersion: input.agent.version, agentProtocol: input.agent.protocol } : {};
  await db
    .update(gateways)
    .set({ lastSeenAt: input.now, ...agent })
    .where(eq(gateways.id, input.id));
}
