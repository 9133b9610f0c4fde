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

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** FastAPI/pydantic validation issues `[{loc, msg}]` → `body.dataset_id: Field required; …`. */
function issuesText(issues: unknown[]): string | undefined {
  const parts = issues.map((issue) => {
    if (typeof issue === 'string') return issue;
    if (!isObj(issue)) return undefined;
    const msg = typeof issue.msg === 'string' ? issue.msg : typeof issue.message === 'string' ? issue.message : undefined;
    const loc = Array.isArray(issue.loc) ? issue.loc.map(String).join('.') : '';
    return msg && loc ? `${loc}: ${msg}` : msg;
  });
  const text = parts.filter((p): p is string => !!p).join('; ');
  return text || undefined;
}

/** The readable message of a `detail`/`message`/`msg`/`error` value: a string, an issue list or a nested object. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value || undefined;
  if (Array.isArray(value)) return issuesText(value);
  if (isObj(value)) return textOf(value.message) ?? textOf(value.msg) ?? textOf(value.detail);
  return undefined;
}

const codeOf = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);

/**
 * Builds the error from a response body in any of the API's dialects: `{detail, code}` (string or FastAPI
 * issue list), `{code, message}`, `{code, msg}`, `{error: {code, message}}`, problem+json `{title, detail}`,
 * or plain text (first 1000 characters).
 */
export function toApiError(status: number, body: unknown): YoloopsApiError {
  const b = isObj(body) ? body : {};
  const error = isObj(b.error) ? b.error : undefined;
  const text = textOf(b.detail) ?? textOf(b.message) ?? textOf(b.msg) ?? textOf(b.error) ?? textOf(b.title);
  const plain = typeof body === 'string' ? body.trim().slice(0, 1000) : '';
  const detail = text ?? (plain || `request failed with status ${status}`);
  return new YoloopsApiError(status, detail, codeOf(b.code) ?? codeOf(error?.code), body);
}
