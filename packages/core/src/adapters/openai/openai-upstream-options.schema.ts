import { z } from 'zod';
import { CoreError, ValidationError } from '../../errors.js';
import { DEFAULT_UPSTREAM_LIMITS, type OpenAiCompatibleTextGeneratorOptions } from './openai-upstream-options.js';
import { parseUpstreamEndpoint } from './upstream-endpoint.js';
import { UPSTREAM_SERVER_KINDS } from './upstream-server-kind.js';

/** Help of one variable: what it does and its default in words. */
interface UpstreamSettingMeta {
  description: string;
  default: string;
}

/** One optional variable (blank counts as unset), parsed when set; a thrown message becomes the variable's issue. */
function envSetting<T>(parse: (raw: string) => T, meta: UpstreamSettingMeta) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T | undefined => {
      if (raw === undefined || raw.trim() === '') return undefined;
      try {
        return parse(raw.trim());
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    })
    .meta({ ...meta });
}

const integerFrom = (min: number) => (raw: string) => {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) throw new Error(`must be an integer ≥ ${min}, got "${raw}"`);
  return value;
};

const oneOf = <const T extends string>(...values: readonly T[]) => (raw: string): T => {
  if (!(values as readonly string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
};

const baseUrl = (raw: string) => {
  try {
    parseUpstreamEndpoint(raw);
  } catch (error) {
    throw new Error(error instanceof CoreError ? error.message : String(error));
  }
  return raw;
};

/** The variables of the OpenAI-compatible upstream, each with its help (`.meta()`); the lead merges them into the serve settings. */
export const OpenAiUpstreamEnvSchema = z.object({
  YOLOOPS_LLM_BASE_URL: envSetting(baseUrl, { description: 'OpenAI-compatible server for text generation (vLLM, Ollama, llama.cpp server, TGI), e.g. http://127.0.0.1:11434/v1 or http://host:8000', default: 'none: no upstream' }),
  YOLOOPS_LLM_API_KEY: envSetting((raw) => raw, { description: 'API key sent to the upstream as Authorization: Bearer (never logged)', default: 'none' }),
  YOLOOPS_LLM_TIMEOUT_MS: envSetting(integerFrom(1), { description: 'milliseconds to wait for an upstream answer to start, and between its chunks', default: String(DEFAULT_UPSTREAM_LIMITS.timeoutMs) }),
  YOLOOPS_LLM_CONNECT_TIMEOUT_MS: envSetting(integerFrom(1), { description: 'milliseconds to wait for a connection to the upstream', default: String(DEFAULT_UPSTREAM_LIMITS.connectTimeoutMs) }),
  YOLOOPS_LLM_MAX_CONCURRENCY: envSetting(integerFrom(1), { description: 'requests on the wire to the upstream at once (n > 1 sends n)', default: String(DEFAULT_UPSTREAM_LIMITS.maxConcurrentRequests) }),
  YOLOOPS_LLM_MAX_QUEUE: envSetting(integerFrom(0), { description: 'requests waiting for the upstream beyond those; more are answered 503 with Retry-After', default: String(DEFAULT_UPSTREAM_LIMITS.maxQueuedRequests) }),
  YOLOOPS_LLM_MAX_RESPONSE_BYTES: envSetting(integerFrom(1024), { description: 'largest upstream answer (or stream event) read, in bytes', default: `${DEFAULT_UPSTREAM_LIMITS.maxResponseBytes} (8 MiB)` }),
  YOLOOPS_LLM_SERVER: envSetting(oneOf('auto', ...UPSTREAM_SERVER_KINDS), { description: 'the upstream\'s kind: auto reads GET /v1/models owned_by (vllm, llamacpp, TGI\'s model id, Ollama\'s library)', default: 'auto' }),
  YOLOOPS_LLM_TOP_K: envSetting(oneOf('auto', 'send', 'omit'), { description: 'top_k: auto sends it only to vLLM and llama.cpp server; send or omit force it', default: 'auto' }),
});

/**
 * Reads the upstream's options from the environment: `undefined` when `YOLOOPS_LLM_BASE_URL` is unset;
 * a ValidationError naming every bad variable (one a line) otherwise.
 * @example const upstream = openAiUpstreamOptionsFromEnv(process.env);
 */
export function openAiUpstreamOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): OpenAiCompatibleTextGeneratorOptions | undefined {
  const parsed = OpenAiUpstreamEnvSchema.safeParse(pickShape(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ValidationError(lines.join('\n'), { reason: 'invalid_setting', details: { variables: parsed.error.issues.map((i) => i.path.join('.')) } });
  }
  const s = parsed.data;
  if (s.YOLOOPS_LLM_BASE_URL === undefined) {
    const stray = Object.entries(s).filter(([, value]) => value !== undefined).map(([name]) => name);
    if (stray.length > 0) throw new ValidationError(`${stray.join(', ')} set without YOLOOPS_LLM_BASE_URL: set the upstream's URL too, or unset them`, { reason: 'invalid_setting', details: { variables: stray } });
    return undefined;
  }
  const options: OpenAiCompatibleTextGeneratorOptions = {
    baseUrl: s.YOLOOPS_LLM_BASE_URL,
    apiKey: s.YOLOOPS_LLM_API_KEY,
    timeoutMs: s.YOLOOPS_LLM_TIMEOUT_MS,
    connectTimeoutMs: s.YOLOOPS_LLM_CONNECT_TIMEOUT_MS,
    maxConcurrentRequests: s.YOLOOPS_LLM_MAX_CONCURRENCY,
    maxQueuedRequests: s.YOLOOPS_LLM_MAX_QUEUE,
    maxResponseBytes: s.YOLOOPS_LLM_MAX_RESPONSE_BYTES,
    server: s.YOLOOPS_LLM_SERVER,
    topK: s.YOLOOPS_LLM_TOP_K,
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as OpenAiCompatibleTextGeneratorOptions;
}

function pickShape(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  return Object.fromEntries(Object.keys(OpenAiUpstreamEnvSchema.shape).map((name) => [name, env[name]]));
}
