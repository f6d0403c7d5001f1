import { type AnyColumn, getTableName, type SQL, sql } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';

/**
 * `"table"."column"`, always. In a select from a single table drizzle prints the columns inside a `sql`
 * template without their table, so a column of the outer query inside a raw subquery binds to the inner
 * table's column of the same name (`where route_id = id` compared the users table's id with itself).
 * Every outer column in a raw subquery goes through this. Column names follow the database's snake_case
 * casing (src/db/index.ts) unless the schema names the column itself.
 */
export function qualified(column: AnyColumn): SQL {
  const name = column.keyAsName ? toSnakeCase(column.name) : column.name;
  return sql`${sql.identifier(getTableName(column.table))}.${sql.identifier(name)}`;
}
