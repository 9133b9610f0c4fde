import { NotFoundError, UnsupportedError } from '../errors.js';
import type { ModelService } from '../models/model-service.js';
import type { Model } from '../models/model.schema.js';
import type { Clock } from '../platform/clock.port.js';
import type { GenerationOutput, GenerationParams, TextGenerator, TextModelRef, UpstreamModel } from './text-generator.port.js';

export interface GenerationServiceDeps {
  /** The registry: language models, their GGUF files, and their usage counts. */
  models: Pick<ModelService, 'list' | 'get' | 'resolveTextModel' | 'recordUse'>;
  /** Runs registry GGUF models (the embedded llama.cpp generator, which loads node-llama-cpp only on first use). */
  embedded?: TextGenerator;
  /** An OpenAI-compatible server: model names the registry does not know are its models. */
  upstream?: TextGenerator;
  /** `last_used` times. */
  clock: Clock;
}

/** How a caller's model reference is looked up. */
export interface ModelLookup {
  /** A seed 002 model number → its model id (the resource index); without it numbers are ids. */
  byNumber?: (modelNumber: number) => Promise<string | undefined>;
  /** Registry models this caller may use (default: all); another's model reads as not registered. */
  visible?: (model: Model) => boolean | Promise<boolean>;
}

/** A model reference resolved: what the generator gets, which backend runs it, and its registry record. */
export interface ResolvedTextModel {
  ref: TextModelRef;
  backend: TextGenerator['backend'];
  /** The registry model (absent for an upstream model). */
  model?: Model;
}

/** One generation's answer, with the model it ran on and the seconds the generator took. */
export interface GenerationResult extends GenerationOutput {
  model: ResolvedTextModel;
  seconds: number;
}

/** The models generation can use: registry language models (GGUF ones can generate) and the upstream's. */
export interface GenerationModelList {
  registry: Model[];
  upstream: UpstreamModel[];
  /** Why the upstream's list is missing (down, refused…); the registry's is still given. */
  upstreamError?: string;
}

const isLanguageModel = (m: Model) => m.task === 'text-generation';
const isMissingModel = (error: unknown) => error instanceof NotFoundError && error.reason === 'model_not_found';
const elapsed = (start: number) => (performance.now() - start) / 1000;

/**
 * Text generation over the registry and an optional upstream: resolves a reference (registry id, seed 002
 * number or registry path → its GGUF; another name → the upstream's model; none → the newest trained
 * language model, else the upstream's first), runs it on the right generator and counts the use
 * (`usage_count`, `last_used`) on the registry model.
 * @example
 * const generation = createGenerationService({ models, embedded: createLlamaCppTextGenerator(), clock: systemClock });
 * const out = await generation.generate('model_abc', { prompt: 'Hi', limit: { kind: 'total', tokens: 100 }, temperature: 0.7, topP: 0.9, n: 1 });
 */
export function createGenerationService(deps: GenerationServiceDeps) {
  const { models, embedded, upstream, clock } = deps;
  let closing: Promise<void> | undefined;
  const visible = async (model: Model, lookup: ModelLookup) => (await lookup.visible?.(model)) ?? true;

  async function registryModel(ref: string | number, lookup: ModelLookup): Promise<ResolvedTextModel> {
    const gguf = await models.resolveTextModel(ref, lookup.byNumber ? { byNumber: lookup.byNumber } : {});
    const model = await models.get(gguf.id);
    if (!(await visible(model, lookup))) {
      throw new NotFoundError(`language model ${JSON.stringify(String(ref).slice(0, 200))} is not registered`, { reason: 'model_not_found', details: { model: String(ref).slice(0, 200) } });
    }
    return { ref: gguf, backend: 'llama.cpp', model };
  }

  async function defaultModel(lookup: ModelLookup): Promise<ResolvedTextModel> {
    const usable = [];
    for (const m of await models.list()) if (isLanguageModel(m) && m.llm_info && (await visible(m, lookup))) usable.push(m);
    const pick = usable.find((m) => m.source === 'trained') ?? usable[0];
    if (pick) return registryModel(pick.model_id, {});
    const first = upstream?.listModels ? (await upstream.listModels())[0] : undefined;
    if (upstream && first) return { ref: { kind: 'upstream', id: first.id }, backend: upstream.backend };
    throw new NotFoundError('no language model is registered: upload a GGUF model ZIP (POST /models/upload), fine-tune one, or set YOLOOPS_LLM_BASE_URL', { reason: 'no_language_model' });
  }

  /** The model a reference names (see the service); unknown without an upstream → NotFoundError `model_not_found`. */
  async function resolve(ref: string | undefined, lookup: ModelLookup = {}): Promise<ResolvedTextModel> {
    const text = ref?.trim() ?? '';
    if (text === '') return defaultModel(lookup);
    try {
      return await registryModel(text, lookup);
    } catch (error) {
      if (!upstream || !isMissingModel(error)) throw error;
      return { ref: { kind: 'upstream', id: text }, backend: upstream.backend };
    }
  }

  function generatorOf(model: ResolvedTextModel): TextGenerator {
    const generator = model.ref.kind === 'gguf' ? embedded : upstream;
    if (!generator) throw new UnsupportedError(`model ${model.ref.id} is a registry GGUF model, and embedded generation is off on this server`, { reason: 'embedded_generation_off' });
    return generator;
  }

  async function counted(model: ResolvedTextModel): Promise<void> {
    if (model.model) await models.recordUse(model.model.model_id, clock.now());
  }

  async function run(model: ResolvedTextModel, params: GenerationParams): Promise<GenerationResult> {
    const start = performance.now();
    const output = await generatorOf(model).generate(model.ref, params);
    const seconds = elapsed(start);
    await counted(model);
    return { ...output, model, seconds };
  }

  return {
    resolve,
    /** Generates `params.n` sequences with the model `ref` names; counts one use of a registry model. */
    async generate(ref: string | undefined, params: GenerationParams, lookup?: ModelLookup): Promise<GenerationResult> {
      return run(await resolve(ref, lookup), params);
    },
    /** Each prompt in turn on one model (as seed 003's origin does), one use each; `seconds` sums them. */
    async generateBatch(ref: string | undefined, prompts: readonly string[], params: Omit<GenerationParams, 'prompt'>, lookup?: ModelLookup) {
      const model = await resolve(ref, lookup);
      const results: GenerationResult[] = [];
      for (const prompt of prompts) results.push(await run(model, { ...params, prompt }));
      return { model, results, seconds: results.reduce((sum, r) => sum + r.seconds, 0) };
    },
    /** One sequence piece by piece (SSE); the use is counted when the stream ends without error. */
    async stream(ref: string | undefined, params: Omit<GenerationParams, 'n'>, lookup?: ModelLookup) {
      const model = await resolve(ref, lookup);
      const generator = generatorOf(model);
      if (!generator.stream) throw new UnsupportedError(`the ${generator.backend} backend does not stream`, { reason: 'no_streaming' });
      const pieces = generator.stream(model.ref, params);
      async function* counting() {
        yield* pieces;
        await counted(model);
      }
      return { model, pieces: counting() };
    },
    /** Token count of `text` by the model's own tokenizer. */
    async countTokens(model: ResolvedTextModel, text: string): Promise<number> {
      return generatorOf(model).countTokens(model.ref, text);
    },
    /** Registry language models the caller may use, and the upstream's models (its failure noted, not thrown). */
    async listModels(lookup: ModelLookup = {}): Promise<GenerationModelList> {
      const registry: Model[] = [];
      for (const m of await models.list()) if (isLanguageModel(m) && (await visible(m, lookup))) registry.push(m);
      if (!upstream?.listModels) return { registry, upstream: [] };
      try {
        return { registry, upstream: await upstream.listModels() };
      } catch (error) {
        return { registry, upstream: [], upstreamError: error instanceof Error ? error.message : String(error) };
      }
    },
    /** The backends this server has. */
    backends: { embedded: embedded !== undefined, upstream: upstream?.backend },
    /** Frees the generators' models and connections (once; later calls wait for the same). */
    close(): Promise<void> {
      closing ??= Promise.allSettled([embedded?.close(), upstream?.close()]).then(() => undefined);
      return closing;
    },
  };
}

export type GenerationService = ReturnType<typeof createGenerationService>;
