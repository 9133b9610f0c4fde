/**
 * Text generation behind one port, so the embedded llama.cpp adapter and an OpenAI-compatible upstream
 * (vLLM, Ollama, llama.cpp server, TGI) answer the same calls. Core resolves a registry model id (or an
 * upstream model name) into a {@link TextModelRef}; the adapter loads, caches and runs it.
 */

/** A language model as an adapter sees it. */
export type TextModelRef =
  | {
      /** A GGUF file on local storage (registry model), with GGUF LoRA adapters applied on it. */
      kind: 'gguf';
      /** Registry model id (cache key together with the adapters). */
      id: string;
      /** Absolute path of the base model's .gguf file. */
      path: string;
      /** LoRA adapters (GGUF) applied on the base, in order; `scale` defaults to 1. */
      adapters?: { path: string; scale?: number }[];
    }
  | {
      /** A model served by the OpenAI-compatible upstream, by the name its `/v1/models` lists. */
      kind: 'upstream';
      id: string;
    };

/**
 * How long the answer may be. `new`: at most this many generated tokens (OpenAI `max_tokens`).
 * `total`: prompt + generated tokens ≤ this (Hugging Face `max_length`); a prompt that already
 * fills it generates nothing.
 */
export type TokenLimit = { kind: 'new'; tokens: number } | { kind: 'total'; tokens: number };

/** Sampling and length parameters of one generation call. */
export interface GenerationParams {
  prompt: string;
  limit: TokenLimit;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  /** Omitted: the backend's default (an upstream that does not take `top_k` is never sent one). */
  topK?: number;
  /** Same seed + same model + same params → same text (embedded); passed through to an upstream. */
  seed?: number;
  /** Independent sequences to return (1–5 in seed 003); an upstream without `n` gets parallel requests. */
  n: number;
  /** Strings that end a sequence early (not included in the text). */
  stop?: string[];
  signal?: AbortSignal;
}

/** Token counts as the model's own tokenizer counted them. */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One returned sequence. */
export interface GeneratedSequence {
  text: string;
  /** `length`: the token limit ended it; `stop`: end-of-generation token or a stop string. */
  finish_reason: 'stop' | 'length';
  completion_tokens: number;
}

/** The answer to one {@link GenerationParams}: `n` sequences and the summed usage. */
export interface GenerationOutput {
  sequences: GeneratedSequence[];
  /** prompt_tokens counted once; completion_tokens summed over the sequences. */
  usage: TokenUsage;
}

/** A model an upstream server lists (`GET /v1/models`). */
export interface UpstreamModel {
  id: string;
  owned_by?: string;
  created?: number;
}

/** A backend that generates text. */
export interface TextGenerator {
  /** `llama.cpp` (embedded) or `openai-compatible` (upstream over HTTP). */
  readonly backend: 'llama.cpp' | 'openai-compatible';
  /** Generates `params.n` sequences. Bad parameters → ValidationError; backend down or busy → ExternalFailure / a 503-mapped error. */
  generate(model: TextModelRef, params: GenerationParams): Promise<GenerationOutput>;
  /** Optional token-by-token stream of one sequence (SSE routes). */
  stream?(model: TextModelRef, params: Omit<GenerationParams, 'n'>): AsyncIterable<{ text: string; finish_reason?: 'stop' | 'length' }>;
  /** Number of tokens the model's tokenizer makes of `text`. */
  countTokens(model: TextModelRef, text: string): Promise<number>;
  /** Upstream only: the models it serves. */
  listModels?(): Promise<UpstreamModel[]>;
  /** Frees loaded models and contexts. */
  close(): Promise<void>;
}
