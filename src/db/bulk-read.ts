import { type AnyColumn, getTableColumns, type InferSelectModel, sql, type Table } from 'drizzle-orm';
import type { DbOrTx } from './index.ts';

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Reads every row of `table` as one JSON text per row (SQLite's json_object) and maps it back with each
 * column's own driver mapping. Same result as `select().from(table)`, about five times faster for wide
 * tables: the libSQL driver's cost is per value, and this hands it one value per row. Used where the whole
 * table is read on every change (the snapshot compiler).
 */
export async function selectAllAsJson<T extends Table>(db: DbOrTx, table: T): Promise<InferSelectModel<T>[]> {
  const columns = Object.entries(getTableColumns(table)) as [string, AnyColumn][];
  const pairs = columns.map(([key]) => `'${key}', ${JSON.stringify(snake(key))}`).join(', ');
  const rows = await db.select({ row: sql<string>`json_object(${sql.raw(pairs)})` }).from(table);
  return rows.map(({ row }) => {
    const raw = JSON.parse(row) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, column] of columns) {
      const value = raw[key];
      out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return out as InferSelectModel<T>;
  });
}
