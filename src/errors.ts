/**
 * The one error model. Services throw these; `src/http/errors.ts` maps them to HTTP in one exhaustive
 * switch. `code` is stable and machine-readable; `message` is for people.
 */
export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'database_busy'
  | 'storage_full'
  | 'upstream_rejected'
  | 'internal';

export interface FieldIssue {
  /** Dotted path of the field, e.g. `ip_filter_rules.2.value`. */
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(
    readonly issues: FieldIssue[],
    message = issues.map((i) => `${i.field}: ${i.message}`).join('; '),
  ) {
    super('validation_failed', message, { fields: issues });
  }
}

export class NotFoundError extends AppError {
  constructor(resource: string, id: string | number) {
    super('not_found', `${resource} ${id} does not exist`, { resource, id });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'authentication required') {
    super('unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'not allowed') {
    super('forbidden', message);
  }
}

export class RateLimitedError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', message, { retry_after: retryAfterSeconds });
  }
}

/** The data plane (Caddy) refused what we compiled; carries its field errors. */
export class UpstreamRejectedError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('upstream_rejected', message, details);
  }
}

/** A request body over the endpoint's limit (src/http/body-limit.ts); counted by bytes read, chunked included. */
export class PayloadTooLargeError extends AppError {
  constructor(readonly limitBytes: number) {
    super('payload_too_large', `the request body is larger than ${limitBytes} bytes`, { limit_bytes: limitBytes });
  }
}

export class UnavailableError extends AppError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/**
 * The database could not take a write in time (another process holds its lock, or this process's write queue
 * is that long). Nothing of the write was applied; the client may retry after `retryAfterSeconds`.
 */
export class DatabaseBusyError extends AppError {
  readonly retryAfterSeconds = 2;
  constructor(message: string, options?: ErrorOptions) {
    super('database_busy', message, { retry_after: 2 }, options);
  }
}

/** The disk under the database is full: the write was rolled back; reads keep working. */
export class StorageFullError extends AppError {
  readonly retryAfterSeconds = 30;
  constructor(message = 'the disk under the database is full; nothing was written', options?: ErrorOptions) {
    super('storage_full', message, { retry_after: 30 }, options);
  }
}
