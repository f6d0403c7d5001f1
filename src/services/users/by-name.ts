import { type SQL, sql } from 'drizzle-orm';
import { adminUsers } from '../../db/schema/index.ts';

/**
 * The condition that finds an admin user by name: names are unique without regard to ASCII case (new names are
 * stored lower-case, src/schemas/users.ts; the bootstrap name keeps the case it was configured with).
 */
export function usernameIs(name: string): SQL {
  return sql`lower(${adminUsers.username}) = ${name.trim().toLowerCase()}`;
}
