import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError } from '../errors.ts';
import type { AppEnv } from './types.ts';

/** Requests to the REST API (JSON, including route lists with IP filter rules). */
export const API_BODY_LIMIT = 1024 * 1024;
/** POST /api/v1/config/plan and /apply: a configuration file of 8 MiB, JSON-quoted (src/schemas/config-file.ts). */
export const CONFIG_BODY_LIMIT = 10 * 1024 * 1024;
/** Logins of every kind: a username, a password, a code and a CSRF token fit many times over. */
export const LOGIN_BODY_LIMIT = 16 * 1024;

export interface BodyLimitRule {
  /** The limit applies when this matches the request path; the first matching rule wins. */
  matches: (path: string) => boolean;
  maxBytes: number;
  /** Renders the 413 in the error model of the endpoint (JSON for the API, a page for HTML). */
  render: (c: Context<AppEnv>, err: PayloadTooLargeError) => Response | Promise<Response>;
}

/**
 * Caps every request body by the bytes actually read. hono/body-limit trusts Content-Length (Node's parser
 * never delivers more body than the header announces) and counts a chunked body chunk by chunk, keeping at
 * most `maxBytes` in memory, so an oversized upload is refused before any handler parses it. The rest of an
 * abandoned upload is drained (bounded) or the socket closed by @hono/node-server.
 */
export function limitRequestBodies(rules: BodyLimitRule[]): MiddlewareHandler<AppEnv> {
  const limiters = rules.map((rule) => ({
    rule,
    limit: bodyLimit({
      maxSize: rule.maxBytes,
      onError: (c) => rule.render(c as Context<AppEnv>, new PayloadTooLargeError(rule.maxBytes)),
    }),
  }));
  return async (c, next) => {
    const match = limiters.find(({ rule }) => rule.matches(c.req.path));
    if (!match) throw new Error(`no body limit covers ${c.req.path}`); // the rules end with a catch-all
    return match.limit(c, next);
  };
}
