/** One changed field of an audited resource: its dotted path and the values on either side (absent: undefined). */
export interface AuditFieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

const MAX_DEPTH = 4;
const MAX_FIELDS = 200;

/**
 * The per-field difference between an entry's before and after (a create has only after, a delete only before).
 * Nested objects are compared field by field (`tls.names`); arrays and scalars as whole values.
 */
export function auditDiff(before: unknown, after: unknown): AuditFieldChange[] {
  const out: AuditFieldChange[] = [];
  walk('', before, after, 0, out);
  return out.slice(0, MAX_FIELDS);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walk(path: string, before: unknown, after: unknown, depth: number, out: AuditFieldChange[]): void {
  if (out.length >= MAX_FIELDS) return;
  const bothObjects = isPlainObject(before) || isPlainObject(after);
  if (bothObjects && depth < MAX_DEPTH && (before === undefined || before === null || isPlainObject(before))) {
    if (after === undefined || after === null || isPlainObject(after)) {
      const b = (before ?? {}) as Record<string, unknown>;
      const a = (after ?? {}) as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
      for (const key of keys) walk(path ? `${path}.${key}` : key, b[key], a[key], depth + 1, out);
      return;
    }
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ field: path || '(value)', before, after });
}
