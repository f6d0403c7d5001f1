import { isDeepStrictEqual } from 'node:util';
import type { PlanEntry } from '../../schemas/config-file.ts';
import { SECRET_FIELDS } from '../../schemas/config-file.ts';
import type { CanonicalDocument, CanonicalEntry } from './document.ts';

/** Dependency order: policies name peers, gateways name peers, routes name all three. */
const SECTIONS = [
  ['peers', 'peer'],
  ['policies', 'policy'],
  ['gateways', 'gateway'],
  ['routes', 'route'],
] as const;

/** Secrets never appear in a plan: shown as "(secret)", or "(none)" when there is none. */
function shown(field: string, value: unknown): unknown {
  if (field === 'users' && Array.isArray(value))
    return value.map((u: Record<string, unknown>) => (u.password_hash ? `${u.username} (with password)` : u.username));
  if (SECRET_FIELDS.includes(field)) return value == null ? '(none)' : '(secret)';
  return value;
}

/** Field by field; a field the desired entry leaves out (undefined) keeps its value and is not compared. */
function fieldChanges(current: CanonicalEntry | Record<string, unknown>, desired: Record<string, unknown>) {
  const changes: PlanEntry['changes'] = [];
  for (const [field, value] of Object.entries(desired)) {
    if (value === undefined) continue;
    let old = current[field];
    let next = value;
    if (field === 'users' && Array.isArray(value) && Array.isArray(old)) {
      // Users whose hash the file leaves out keep theirs: compare only what the file says.
      const wantedUsers = value as Record<string, unknown>[];
      next = wantedUsers.map((u) => Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined)));
      old = (old as Record<string, unknown>[]).map((u) => {
        const wanted = wantedUsers.find((w) => w.username === u.username);
        return wanted ? Object.fromEntries(Object.entries(u).filter(([k]) => wanted[k] !== undefined)) : u;
      });
    }
    if (!isDeepStrictEqual(old ?? null, next ?? null))
      changes.push({ field, old: shown(field, old ?? null), new: shown(field, next) });
  }
  return changes;
}

/**
 * What applying `desired` to `current` does: creates, changes (each field's old and new value) and, with
 * `prune`, deletes of what the file leaves out. Sections in dependency order, entries by name.
 */
export function computePlan(current: CanonicalDocument, desired: CanonicalDocument, prune: boolean): PlanEntry[] {
  const plan: PlanEntry[] = [];
  const settingsChanges = fieldChanges(current.settings, desired.settings);
  if (settingsChanges.length > 0)
    plan.push({ action: 'change', kind: 'settings', name: 'settings', changes: settingsChanges });
  for (const [section, kind] of SECTIONS) {
    const now = new Map(current[section].map((e) => [e.name, e]));
    for (const entry of desired[section]) {
      const existing = now.get(entry.name);
      if (!existing) {
        plan.push({
          action: 'create',
          kind,
          name: entry.name,
          changes: Object.entries(entry)
            .filter(([field, v]) => v !== undefined && field !== 'name')
            .map(([field, v]) => ({ field, old: null, new: shown(field, v) })),
        });
        continue;
      }
      const changes = fieldChanges(existing, entry);
      if (changes.length > 0) plan.push({ action: 'change', kind, name: entry.name, changes });
    }
  }
  if (prune) {
    // Deleted in reverse dependency order: routes first, peers last.
    for (const [section, kind] of [...SECTIONS].reverse()) {
      const wanted = new Set(desired[section].map((e) => e.name));
      for (const entry of current[section])
        if (!wanted.has(entry.name)) plan.push({ action: 'delete', kind, name: entry.name, changes: [] });
    }
  }
  return plan;
}

const brief = (value: unknown) => {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/** The plan for people: one block per entry, `+` create, `~` change, `-` delete, and a count line. */
export function formatPlan(plan: PlanEntry[]): string {
  if (plan.length === 0) return 'No changes: the server already matches the file.\n';
  const lines: string[] = [];
  const sign = { create: '+', change: '~', delete: '-' } as const;
  for (const entry of plan) {
    lines.push(`${sign[entry.action]} ${entry.kind} "${entry.name}"${entry.action === 'delete' ? ' (deleted)' : ''}`);
    for (const c of entry.changes)
      lines.push(
        entry.action === 'create'
          ? `    ${c.field}: ${brief(c.new)}`
          : `    ${c.field}: ${brief(c.old)} -> ${brief(c.new)}`,
      );
  }
  const count = (action: PlanEntry['action']) => plan.filter((e) => e.action === action).length;
  lines.push('', `Plan: ${count('create')} to create, ${count('change')} to change, ${count('delete')} to delete.`);
  return `${lines.join('\n')}\n`;
}
