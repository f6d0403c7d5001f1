import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { isBusyError, isStorageFull, isTransactionTimeout } from '../db/retry.ts';
import {
  AppError,
  DatabaseBusyError,
  type ErrorCode,
  RateLimitedError,
  StorageFullError,
  UnavailableError,
  ValidationError,
} from '../errors.ts';

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  switch (code) {
    case 'bad_request':
      return 400;
    case 'validation_failed':
      return 422;
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'payload_too_large':
      return 413;
    case 'rate_limited':
      return 429;
    case 'upstream_rejected':
      return 422;
    case 'unavailable':
    case 'database_busy':
    case 'storage_full':
      return 503;
    case 'internal':
      return 500;
    default: {
      const unreachable: never = code;
      throw new Error(`unmapped error code ${String(unreachable)}`);
    }
  }
}

/** Turns zod issues into our field issues (`a.b.0.c` paths, as API clients name the fields). */
export function fromZodError(error: ZodError): ValidationError {
  return new ValidationError(
    error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(body)', message: issue.message })),
  );
}

/** The body of every error response: `{ error: { code, message, request_id, ...details } }`. */
export function errorResponse(c: Context, err: unknown): Response {
  const requestId = c.get('requestId') as string | undefined;
  const appError = toAppError(err);
  if (appError.code === 'internal') {
    c.get('logger')?.error({ err, requestId }, 'unhandled error');
  }
  if (
    appError instanceof RateLimitedError ||
    appError instanceof DatabaseBusyError ||
    appError instanceof StorageFullError
  ) {
    c.header('Retry-After', String(appError.retryAfterSeconds));
  }
  return c.json(
    { error: { code: appError.code, message: appError.message, request_id: requestId, ...appError.details } },
    statusOf(appError.code),
  );
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // drizzle wraps what the write queue threw (DrizzleQueryError); its cause is ours.
  const wrapped = (err as { cause?: unknown } | undefined)?.cause;
  if (
    wrapped instanceof DatabaseBusyError ||
    wrapped instanceof StorageFullError ||
    wrapped instanceof UnavailableError // the database deadline (src/db/deadline.ts)
  )
    return wrapped;
  if (err instanceof ZodError) return fromZodError(err);
  // Raw driver errors that escaped a verb (drizzle wraps them; the cause chain holds the SQLite code).
  if (isStorageFull(err)) return new StorageFullError(undefined, { cause: err });
  if (isBusyError(err)) return new DatabaseBusyError('the database is busy; try again shortly', { cause: err });
  if (isTransactionTimeout(err))
    return new DatabaseBusyError(
      'the database server ended this change: it took longer than its transaction limit; nothing was saved, try again',
      { cause: err },
    );
  // Hono raises these itself, e.g. for a body that is not valid JSON.
  if (err instanceof HTTPException && err.status < 500) {
    return new AppError(err.status === 401 ? 'unauthorized' : 'bad_request', err.message || 'malformed request');
  }
  return new AppError('internal', 'internal error');
}
