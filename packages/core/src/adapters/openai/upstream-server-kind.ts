import type { UpstreamModel } from '../../generation/text-generator.port.js';

/** The OpenAI-compatible servers the adapter knows; `generic` is any other. */
export type UpstreamServerKind = 'vllm' | 'llama.cpp' | 'ollama' | 'tgi' | 'generic';

export const UPSTREAM_SERVER_KINDS = ['vllm', 'llama.cpp', 'ollama', 'tgi', 'generic'] as const satisfies readonly UpstreamServerKind[];

/** How a tokenizer endpoint is called, or `none`: count with a `max_tokens: 1` completion's usage. */
export type TokenizeStyle = 'vllm' | 'llama.cpp' | 'none';

/** What one server kind takes beyond the portable OpenAI completion parameters. */
export interface UpstreamServerTraits {
  /** `/v1/completions` honours `top_k` (vLLM's extra sampling parameter, llama.cpp's native one). */
  topK: boolean;
  tokenize: TokenizeStyle;
}

/**
 * vLLM and llama.cpp server take `top_k` and have `POST /tokenize`. Ollama's OpenAI layer and TGI's
 * `/v1/completions` list no `top_k` (their JSON decoders drop unknown fields, so it would be silently
 * ignored) and neither has a tokenizer endpoint that counts like its completions do.
 */
export const UPSTREAM_SERVER_TRAITS: Readonly<Record<UpstreamServerKind, UpstreamServerTraits>> = {
  vllm: { topK: true, tokenize: 'vllm' },
  'llama.cpp': { topK: true, tokenize: 'llama.cpp' },
  ollama: { topK: false, tokenize: 'none' },
  tgi: { topK: false, tokenize: 'none' },
  generic: { topK: false, tokenize: 'none' },
};

/**
 * Reads the server kind from its `/v1/models` listing: vLLM answers `owned_by: "vllm"`, llama.cpp
 * server `"llamacpp"`, TGI the model id itself, Ollama the model's namespace (`"library"`).
 */
export function serverKindFromModels(models: readonly UpstreamModel[]): UpstreamServerKind {
  const owners = new Set(models.map((m) => m.owned_by));
  if (owners.has('vllm')) return 'vllm';
  if (owners.has('llamacpp')) return 'llama.cpp';
  if (models.length > 0 && models.every((m) => m.owned_by === m.id)) return 'tgi';
  if (owners.has('library') || owners.has('ollama')) return 'ollama';
  return 'generic';
}
