import { UnsupportedError, ValidationError } from '../../errors.js';
import type { GeneratedSequence, GenerationOutput, GenerationParams, TextGenerator, TextModelRef, TokenLimit, UpstreamModel } from '../../generation/text-generator.port.js';
import { complete, completionBody, parseAnswer, sequenceSeed } from './upstream-completions.js';
import { parseUpstreamEndpoint } from './upstream-endpoint.js';
import { createUpstreamHttp } from './upstream-http.js';
import { DEFAULT_UPSTREAM_LIMITS, type OpenAiCompatibleTextGeneratorOptions } from './openai-upstream-options.js';
import { UPSTREAM_SERVER_TRAITS, serverKindFromModels, type UpstreamServerKind, type UpstreamServerTraits } from './upstream-server-kind.js';
import { streamPieces } from './upstream-sse.js';
import { createTokenCounter } from './upstream-tokens.js';
import { ModelListSchema } from './upstream-wire.schema.js';

/** A TextGenerator over an upstream, plus which server kind it found. */
export interface OpenAiCompatibleTextGenerator extends TextGenerator {
  readonly backend: 'openai-compatible';
  readonly url: string;
  serverKind(): Promise<UpstreamServerKind>;
  stream(model: TextModelRef, params: Omit<GenerationParams, 'n'>): AsyncIterable<{ text: string; finish_reason?: 'stop' | 'length' }>;
  listModels(): Promise<UpstreamModel[]>;
}

/**
 * Generates text on an OpenAI-compatible server (vLLM, Ollama, llama.cpp server, TGI) through
 * `POST /v1/completions`, `n` sequences as `n` parallel requests with seeds derived from the one given.
 * @example
 * const llm = createOpenAiCompatibleTextGenerator({ baseUrl: 'http://127.0.0.1:8000/v1' });
 * const out = await llm.generate({ kind: 'upstream', id: 'qwen' }, { prompt: 'Hi', limit: { kind: 'new', tokens: 32 }, temperature: 0.7, topP: 0.9, seed: 1, n: 3 });
 */
export function createOpenAiCompatibleTextGenerator(options: OpenAiCompatibleTextGeneratorOptions): OpenAiCompatibleTextGenerator {
  const endpoint = parseUpstreamEndpoint(options.baseUrl);
  const limits = { ...DEFAULT_UPSTREAM_LIMITS, ...definedOnly(options) };
  const http = createUpstreamHttp({ endpoint, ...limits, ...(options.apiKey ? { apiKey: options.apiKey } : {}) });
  const tokens = createTokenCounter(http, endpoint);
  const completionsPath = `${endpoint.apiPath}/completions`;
  let detected: Promise<UpstreamServerKind> | undefined;

  async function listModels(): Promise<UpstreamModel[]> {
    const json = await http.json({ method: 'GET', path: `${endpoint.apiPath}/models` });
    return (parseAnswer({ url: http.url }, ModelListSchema, json, 'model list').data ?? []).map((m) => ({ id: m.id, ...(m.owned_by === undefined ? {} : { owned_by: m.owned_by }), ...(m.created === undefined ? {} : { created: m.created }) }));
  }

  function serverKind(): Promise<UpstreamServerKind> {
    if (options.server !== undefined && options.server !== 'auto') return Promise.resolve(options.server);
    detected ??= listModels().then(serverKindFromModels, (error: unknown) => {
      detected = undefined; // not remembered: the next call asks again
      throw error;
    });
    return detected;
  }

  async function traits(): Promise<UpstreamServerTraits & { sendTopK: boolean }> {
    const found = UPSTREAM_SERVER_TRAITS[await serverKind()];
    return { ...found, sendTopK: options.topK === 'send' || ((options.topK ?? 'auto') === 'auto' && found.topK) };
  }

  /** `max_tokens` for a limit: `total` (prompt + new) minus the prompt's real token count. */
  async function maxTokens(model: string, prompt: string, limit: TokenLimit, signal?: AbortSignal): Promise<{ maxTokens: number; promptTokens?: number }> {
    if (limit.kind === 'new') return { maxTokens: limit.tokens };
    const promptTokens = await tokens.count(model, prompt, (await traits()).tokenize, signal);
    return { maxTokens: limit.tokens - promptTokens, promptTokens };
  }

  async function generate(ref: TextModelRef, params: GenerationParams): Promise<GenerationOutput> {
    const model = upstreamModel(ref);
    checkParams(params);
    const found = await traits();
    const budget = await maxTokens(model, params.prompt, params.limit, params.signal);
    if (budget.maxTokens <= 0) return exhausted(params.n, budget.promptTokens ?? 0);
    const failed = new AbortController();
    const signal = params.signal === undefined ? failed.signal : AbortSignal.any([params.signal, failed.signal]);
    const body = completionBody(model, params, budget.maxTokens, found.sendTopK);
    const calls = Array.from({ length: params.n }, (_, i) =>
      complete(http, completionsPath, params.seed === undefined ? body : { ...body, seed: sequenceSeed(params.seed, i) }, signal).catch((error: unknown) => {
        failed.abort(error);
        throw error;
      }),
    );
    const answers = await Promise.all(calls).catch(async (error: unknown) => {
      await Promise.allSettled(calls);
      throw params.signal?.aborted ? params.signal.reason : error;
    });
    const completion = answers.reduce((sum, a) => sum + a.sequence.completion_tokens, 0);
    const prompt = answers[0]!.promptTokens;
    return { sequences: answers.map((a) => a.sequence), usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } };
  }

  async function* stream(ref: TextModelRef, params: Omit<GenerationParams, 'n'>) {
    const model = upstreamModel(ref);
    checkParams({ ...params, n: 1 });
    const found = await traits();
    const budget = await maxTokens(model, params.prompt, params.limit, params.signal);
    if (budget.maxTokens <= 0) {
      yield { text: '', finish_reason: 'length' as const };
      return;
    }
    const body = { ...completionBody(model, params, budget.maxTokens, found.sendTopK), stream: true };
    const answer = await http.open({ method: 'POST', path: completionsPath, body, model, ...(params.signal === undefined ? {} : { signal: params.signal }) });
    yield* streamPieces(answer, limits.maxResponseBytes, params.signal);
  }

  return {
    backend: 'openai-compatible',
    url: http.url,
    serverKind,
    listModels,
    generate,
    stream,
    async countTokens(ref, text) {
      const model = upstreamModel(ref);
      return tokens.count(model, text, (await traits()).tokenize);
    },
    close: () => http.close(),
  };
}

function upstreamModel(ref: TextModelRef): string {
  if (ref.kind !== 'upstream') throw new UnsupportedError(`the OpenAI-compatible upstream cannot run the registry GGUF model "${ref.id}"; it serves only the models its /v1/models lists`, { reason: 'not_an_upstream_model', details: { model: ref.id } });
  return ref.id;
}

function checkParams(params: Pick<GenerationParams, 'n' | 'limit'>): void {
  if (!Number.isSafeInteger(params.n) || params.n < 1) throw new ValidationError(`n must be a positive integer, got ${params.n}`, { reason: 'invalid_generation_params' });
  if (!Number.isSafeInteger(params.limit.tokens) || params.limit.tokens < 1) throw new ValidationError(`the token limit must be a positive integer, got ${params.limit.tokens}`, { reason: 'invalid_generation_params' });
}

/** A prompt that fills a `total` limit: n empty sequences ended by the limit, no call made. */
function exhausted(n: number, promptTokens: number): GenerationOutput {
  const sequences: GeneratedSequence[] = Array.from({ length: n }, () => ({ text: '', finish_reason: 'length', completion_tokens: 0 }));
  return { sequences, usage: { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens } };
}

function definedOnly(options: OpenAiCompatibleTextGeneratorOptions): Partial<typeof DEFAULT_UPSTREAM_LIMITS> {
  const keys = Object.keys(DEFAULT_UPSTREAM_LIMITS) as (keyof typeof DEFAULT_UPSTREAM_LIMITS)[];
  return Object.fromEntries(keys.flatMap((key) => (options[key] === undefined ? [] : [[key, options[key]]])));
}
