import type { ServiceContext } from '../../context.ts';
import { readCanonical, withoutUndefined } from './document.ts';
import { formatDocument } from './parse.ts';

/**
 * `gatehouse export` and GET /api/v1/config/export: the canonical document (docs/config-file.md) as YAML or JSON.
 * Private keys, preshared keys, password hashes and TOTP secrets only with `withSecrets`.
 */
export async function exportConfig({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { format: 'yaml' | 'json'; withSecrets: boolean };
}): Promise<string> {
  const doc = await ctx.db.transaction(async (tx) => readCanonical(tx, ctx.config, input.withSecrets));
  return formatDocument(withoutUndefined(doc), input.format);
}
