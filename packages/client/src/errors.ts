/** A non-2xx answer from the yoloops API, with the server's `detail` and machine-readable `code`. */
export class YoloopsApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly code: string | undefined,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}: ${detail}`);
    this.name = 'YoloopsApiError';
  }
}

/** Builds the error from a response body in any of the API's dialects (`{detail}`, `{message}`, `{msg}`, `{error}`). */
export function toApiError(status: number, body: unknown): YoloopsApiError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = [b.detail, b.message, b.msg, (b.error as Record<string, unknown> | undefined)?.message ?? b.error].find((v) => typeof v === 'string');
  const detail = typeof text === 'string' ? text : typeof body === 'string' && body ? body : `request failed with status ${status}`;
  return new YoloopsApiError(status, detail, typeof b.code === 'string' ? b.code : undefined, body);
}
