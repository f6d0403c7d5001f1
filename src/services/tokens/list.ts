import { desc } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { apiTokens } from '../../db/schema/index.ts';
import { toPublicToken } from './public.ts';

export async function listTokens({ ctx }: { ctx: ServiceContext }) {
  const rows = await ctx.db.select().from(apiTokens).orderBy(desc(apiTokens.id));
  return rows.map(toPublicToken);
}
