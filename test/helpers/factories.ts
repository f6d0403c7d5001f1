import type { Route } from '../../src/db/schema/routes.ts';
import { ROUTE_DEFAULTS } from '../../src/services/routes/resolve.ts';

const at = new Date('2026-11-21T00:00:00Z');

/** A routes row as the database returns it: the service's defaults plus `fields` (pure tests only). */
export function routeRow(fields: Partial<Route> & { id: number }): Route {
  return {
    ...(ROUTE_DEFAULTS as Omit<Route, 'id' | 'createdAt' | 'updatedAt'>),
    createdAt: at,
    updatedAt: at,
    ...fields,
  } as Route;
}
