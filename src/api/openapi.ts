import { OpenAPIHono } from '@hono/zod-openapi';
import { fromZodError } from '../http/errors.ts';
import type { AppEnv } from '../http/types.ts';

/**
 * Every sub-app is built with this, so request validation failures become our one error model
 * (422 with `fields`) instead of the library's default shape.
 */
export function newApiRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw fromZodError(result.error);
    },
  });
}
