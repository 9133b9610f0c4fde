import { ValidationError } from '../../errors.js';

/** Where an OpenAI-compatible upstream answers: its origin, the server root and the `/v1` API below it. */
export interface UpstreamEndpoint {
  /** `http://host:port` (what the connection pool dials). */
  origin: string;
  /** Path of the server root, `''` or a proxy prefix such as `/llm` (`/tokenize`, `/info` live here). */
  rootPath: string;
  /** Path of the OpenAI API, `${rootPath}/v1`. */
  apiPath: string;
  /** `origin + apiPath`, the URL error messages name (never carries a key). */
  url: string;
}

/**
 * Parses a base URL given as the API (`http://127.0.0.1:11434/v1`) or as the server root
 * (`http://host:8000`); both name the same endpoint. Credentials, queries and fragments are refused.
 * @example parseUpstreamEndpoint('http://127.0.0.1:8000/v1/').url // 'http://127.0.0.1:8000/v1'
 */
export function parseUpstreamEndpoint(raw: string): UpstreamEndpoint {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ValidationError(`upstream base URL "${raw}" is not a URL (e.g. http://127.0.0.1:8000/v1)`, { reason: 'invalid_upstream_url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError(`upstream base URL must be http or https, got "${url.protocol}"`, { reason: 'invalid_upstream_url' });
  }
  if (url.username !== '' || url.password !== '') {
    throw new ValidationError('upstream base URL must not carry credentials: give the key as the API key (YOLOOPS_LLM_API_KEY)', { reason: 'invalid_upstream_url' });
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ValidationError(`upstream base URL must not have a query or fragment, got "${url.search}${url.hash}"`, { reason: 'invalid_upstream_url' });
  }
  const path = url.pathname.replace(/\/+$/, '');
  const rootPath = path.endsWith('/v1') ? path.slice(0, -'/v1'.length) : path;
  const apiPath = `${rootPath}/v1`;
  return { origin: url.origin, rootPath, apiPath, url: `${url.origin}${apiPath}` };
}
