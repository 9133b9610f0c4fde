/** Why a token was refused: past `exp`; malformed, forged or not ours; its user disabled; logged out or superseded. */
export type AuthErrorReason = 'expired' | 'invalid' | 'inactive' | 'revoked';

/**
 * A refused credential. Not a `CoreError`: it is never a bad request nor a server fault, and the server
 * answers it with a 401 in the route's dialect. The message is safe to show.
 */
export class AuthError extends Error {
  readonly reason: AuthErrorReason;

  constructor(reason: AuthErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.reason = reason;
  }
}

export const isAuthError = (error: unknown): error is AuthError => error instanceof AuthError;
