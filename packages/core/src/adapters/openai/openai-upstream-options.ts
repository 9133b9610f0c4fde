import type { UpstreamServerKind } from './upstream-server-kind.js';

/** Options of `createOpenAiCompatibleTextGenerator`; `openAiUpstreamOptionsFromEnv` reads them from the environment. */
export interface OpenAiCompatibleTextGeneratorOptions {
  /** `http://127.0.0.1:11434/v1` or `http://host:8000` (both forms name the same API). */
  baseUrl: string;
  apiKey?: string;
  /** Wait for an answer's headers and between body chunks (default 120 000 ms). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  maxConcurrentRequests?: number;
  maxQueuedRequests?: number;
  maxResponseBytes?: number;
  /** `auto` (default): read from `GET /v1/models` `owned_by` on first use. */
  server?: UpstreamServerKind | 'auto';
  /** `auto` (default): send `top_k` only to servers known to take it (vLLM, llama.cpp server). */
  topK?: 'auto' | 'send' | 'omit';
}

/** Limits an option left unset takes. */
export const DEFAULT_UPSTREAM_LIMITS = {
  timeoutMs: 120_000,
  connectTimeoutMs: 5_000,
  maxConcurrentRequests: 4,
  maxQueuedRequests: 64,
  maxResponseBytes: 8 * 1024 * 1024,
} as const;
