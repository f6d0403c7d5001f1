import { isCollection, LineCounter, parseDocument, stringify } from 'yaml';
import type { z } from 'zod';
import { type FieldIssue, ValidationError } from '../../errors.ts';
import {
  CONFIG_FILE_LIMITS,
  CONFIG_FILE_VERSION,
  type ConfigFile,
  ConfigFileSchema,
} from '../../schemas/config-file.ts';

export type Path = readonly (string | number)[];

/** A checked file and where each of its fields is, for errors that name the line. */
export interface ParsedConfigFile {
  file: ConfigFile;
  filename: string;
  /** `config.yaml:14` for a field path (the nearest enclosing node when the field itself is absent). */
  locate(path: Path): string;
  /** Field issues → one ValidationError naming the file, the line and the field of each. */
  fail(issues: { path: Path; message: string }[]): never;
}

/**
 * YAML or JSON (JSON is YAML) → the checked file. Hostile files end here: more than CONFIG_FILE_LIMITS.bytes,
 * more aliases than CONFIG_FILE_LIMITS.aliases (a "billion laughs" file expands each alias), duplicate keys, an
 * unknown version. Nothing is written.
 */
export function parseConfigText(text: string, filename = 'config'): ParsedConfigFile {
  const issueAt = (line: number | undefined, field: string, message: string): FieldIssue => ({
    field,
    message: `${filename}${line ? `:${line}` : ''}: ${message}`,
  });
  if (Buffer.byteLength(text) > CONFIG_FILE_LIMITS.bytes)
    throw new ValidationError([
      issueAt(undefined, 'file', `is larger than ${CONFIG_FILE_LIMITS.bytes / 1024 / 1024} MiB`),
    ]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0)
    throw new ValidationError(
      doc.errors.slice(0, 20).map((e) => issueAt(lineCounter.linePos(e.pos[0]).line, 'file', e.message)),
    );
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: CONFIG_FILE_LIMITS.aliases });
  } catch (err) {
    throw new ValidationError([issueAt(undefined, 'file', (err as Error).message)]);
  }

  const locate = (path: Path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range)
        return `${filename}:${lineCounter.linePos(node.range[0]).line}`;
    }
    return filename;
  };
  const fail = (issues: { path: Path; message: string }[]): never => {
    throw new ValidationError(
      issues.slice(0, 100).map((i) => {
        const field = i.path.join('.') || 'file';
        return { field, message: `${locate(i.path)}: ${field}: ${i.message}` };
      }),
    );
  };

  if (raw === null || typeof raw !== 'object' || !isCollection(doc.contents))
    fail([{ path: [], message: 'must be a mapping with version: 1 and the sections' }]);
  const version = (raw as Record<string, unknown>).version;
  if (version !== CONFIG_FILE_VERSION)
    fail([
      {
        path: ['version'],
        message:
          version === undefined
            ? `is missing (this server reads version ${CONFIG_FILE_VERSION})`
            : `${JSON.stringify(version)} is not a version this server reads (it reads ${CONFIG_FILE_VERSION})`,
      },
    ]);
  const parsed = ConfigFileSchema.safeParse(raw);
  if (!parsed.success) fail(zodIssues(parsed.error));
  return { file: parsed.data as ConfigFile, filename, locate, fail };
}

export function zodIssues(error: z.ZodError, prefix: Path = []): { path: Path; message: string }[] {
  return error.issues.map((i) => ({ path: [...prefix, ...(i.path as (string | number)[])], message: i.message }));
}

/** The canonical document as text: YAML (the default) or JSON, both ending in a newline. */
export function formatDocument(doc: unknown, format: 'yaml' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}
