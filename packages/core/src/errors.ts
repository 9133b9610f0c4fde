/** Transport-neutral error kinds; adapters map them to their own dialect (HTTP status, exit code…). */
export type CoreErrorCode =
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID_INPUT'
  | 'INVALID_STATE'
  | 'UNSUPPORTED'
  | 'TOO_LARGE'
  | 'EXTERNAL_FAILURE';

export interface CoreErrorOptions {
  /** Machine-readable reason, e.g. `unsafe_path`, `zip_bomb`; stable across releases. */
  reason?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The one error type core throws; `message` is written for the person who must act on it. */
export class CoreError extends Error {
  readonly code: CoreErrorCode;
  readonly reason: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: CoreErrorCode, message: string, options: CoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.reason = options.reason;
    this.details = options.details ?? {};
  }
}

/** Input that can never succeed as given (bad ZIP entry, malformed label, unknown class…). */
export class ValidationError extends CoreError {
  constructor(message: string, options: CoreErrorOptions = {}) {
    super('INVALID_INPUT', message, options);
  }
}

export class NotFoundError extends CoreError {
  constructor(message: string, options: CoreErrorOptions = {}) {
    super('NOT_FOUND', message, options);
  }
}

/** A move the current state does not allow (prepare while preparing, illegal job transition…). */
export class InvalidStateError extends CoreError {
  constructor(message: string, options: CoreErrorOptions = {}) {
    super('INVALID_STATE', message, options);
  }
}

export class TooLargeError extends CoreError {
  constructor(message: string, options: CoreErrorOptions = {}) {
    super('TOO_LARGE', message, options);
  }
}

export class UnsupportedError extends CoreError {
  constructor(message: string, options: CoreErrorOptions = {}) {
    super('UNSUPPORTED', message, options);
  }
}

export const isCoreError = (error: unknown): error is CoreError => error instanceof CoreError;
