import type { ServiceContext } from '../../context.ts';
import { ValidationError } from '../../errors.ts';
import { CONFIG_FILE_LIMITS } from '../../schemas/config-file.ts';
import { type ApplyOptions, type ApplyResult, applyConfigFile } from '../config-file/apply.ts';
import { formatDocument, parseConfigText } from '../config-file/parse.ts';

/** What an importer makes: a configuration file (docs/config-file.md) and what it could not carry over, with why. */
export interface Converted {
  doc: Record<string, unknown>;
  unmapped: string[];
}

export class ImportInputError extends ValidationError {
  constructor(message: string) {
    super([{ field: 'file', message }]);
  }
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined;

/** A section of the input as rows; anything else is refused (naming the section), a missing one is empty. */
export function list(value: unknown, section: string): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isRecord))
    throw new ImportInputError(`${section} must be a list of objects`);
  if (value.length > CONFIG_FILE_LIMITS.entries)
    throw new ImportInputError(`${section} has more than ${CONFIG_FILE_LIMITS.entries} entries`);
  return value;
}

/** The input file as JSON, within the configuration file's size limit. */
export function parseJsonInput(text: string, what: string): unknown {
  if (Buffer.byteLength(text) > CONFIG_FILE_LIMITS.bytes)
    throw new ImportInputError(`the ${what} is larger than ${CONFIG_FILE_LIMITS.bytes / 1024 / 1024} MiB`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ImportInputError(`the ${what} is not JSON: ${(err as Error).message}`);
  }
}

/**
 * An import: convert, then the configuration file's own plan and apply (one transaction, one push). The
 * converted file is named after the source, and errors point into it (`gatecontrol.json:42: routes.3.domain`).
 */
export async function runImport(
  ctx: ServiceContext,
  converted: Converted,
  filename: string,
  opts: ApplyOptions,
): Promise<ApplyResult & { unmapped: string[]; file: string }> {
  const file = formatDocument(converted.doc, 'json');
  const result = await applyConfigFile(ctx, parseConfigText(file, filename), opts);
  const note = converted.unmapped.length
    ? `\nNot imported (${converted.unmapped.length}):\n${converted.unmapped.map((u) => `  - ${u}`).join('\n')}\n`
    : '\nEverything in the input was mapped.\n';
  return { ...result, text: `${result.text}${note}`, unmapped: converted.unmapped, file };
}
