import { setTimeout as delay } from 'node:timers/promises';
import { randomInt } from 'node:crypto';
import type { Llama } from 'node-llama-cpp';
import { UnsupportedError, ValidationError } from '../../errors.js';
import type { GenerationOutput, GenerationParams, TextGenerator, TextModelRef } from '../../generation/text-generator.port.js';
import { cpuBudget } from '../node/cpu-budget.js';
import { createAdmission } from './llama-admission.js';
import { createModelCache } from './llama-model-cache.js';
import { checkParams, promptTokens } from './generation-params.js';
import { runSequence } from './run-sequence.js';

/** Settings of the embedded llama.cpp generator; every one has a default. */
export interface LlamaCppTextGeneratorOptions {
  /** Threads per generation (default {@link defaultLlamaThreads}). */
  threads?: number;
  /** Generations running at once (default: the CPU budget ÷ threads, at least 1); more wait in the queue. */
  maxConcurrent?: number;
  /** Generations waiting beyond those (default 16); one more is a busy error (503 + Retry-After). */
  maxQueue?: number;
  /** Models kept loaded, least recently used freed first (default 2). */
  maxModels?: number;
  /** Tokens per sequence: prompt + generated (default 4096, capped by the model's training context). */
  contextSize?: number;
  /** `false` (default, the CPU build npm installs) or a GPU build you added: `auto`, `cuda`, `vulkan`, `metal`. */
  gpu?: false | 'auto' | 'cuda' | 'vulkan' | 'metal';
  /** llama.cpp's log lines (warnings and errors), e.g. into the server log. */
  log?: (level: string, message: string) => void;
}

/**
 * Threads one generation uses by default: 1. Measured with bench/generation.bench.ts on the 2-CPU
 * development machine (shared with other work), node-llama-cpp direct, greedy, 128 tokens: the tiny model
 * 4814 tok/s on 1 thread vs 93 on 2; a wide one (512 wide, 8 layers, 110 MB F32) 203 vs 120. Decoding one
 * token at a time syncs the threads per layer, and a second thread that must wait for a busy CPU stalls
 * both; running `cpuBudget()` generations side by side (the default `maxConcurrent`) uses the other CPUs.
 */
/** How long `close()` waits for node-llama-cpp's binding to dispose. */
const LLAMA_DISPOSE_WAIT_MS = 2000;

export const defaultLlamaThreads = (): number => 1;

function ggufRef(ref: TextModelRef): TextModelRef & { kind: 'gguf' } {
  if (ref.kind !== 'gguf') throw new UnsupportedError(`the embedded llama.cpp generator runs registry GGUF models, not upstream model "${ref.id}"`, { reason: 'not_gguf_model' });
  return ref;
}

/**
 * `TextGenerator` on embedded llama.cpp (node-llama-cpp, imported on first use so a server that never
 * generates never loads it): GGUF models cached (LRU), one reusable context per model + LoRA adapter set,
 * every file checked by the GGUF reader before llama.cpp loads it, an admission limit, exact token limits
 * and usage from the model's tokenizer; `temperature: 0` is greedy and a seed gives the same text.
 * @example const generator = createLlamaCppTextGenerator(); await generator.generate(ref, { prompt: 'Hi', limit: { kind: 'new', tokens: 16 }, temperature: 0, topP: 1, n: 1 });
 */
export function createLlamaCppTextGenerator(options: LlamaCppTextGeneratorOptions = {}): TextGenerator & { readonly threads: number; readonly loadedModels: number } {
  const threads = options.threads ?? defaultLlamaThreads();
  const maxConcurrent = options.maxConcurrent ?? Math.max(1, Math.floor(cpuBudget() / threads));
  const admission = createAdmission({ maxConcurrent, maxQueue: options.maxQueue ?? 16 });
  // llama.cpp's error lines since the last load began: the first specific one says why it failed.
  const errors: string[] = [];
  const lastError = () => errors.find((line) => !/failed to (load model|apply lora)/i.test(line)) ?? errors.at(-1);
  let llama: Promise<Llama> | undefined;
  const getLlama = () =>
    (llama ??= import('node-llama-cpp').then(({ getLlama: get, LlamaLogLevel }) =>
      get({
        gpu: options.gpu ?? false, build: 'never', skipDownload: true, progressLogs: false, maxThreads: 0, logLevel: LlamaLogLevel.warn,
        logger: (level, message) => {
          if (level === LlamaLogLevel.error && errors.length < 20) errors.push(message.trim());
          options.log?.(level, message.trim());
        },
      }),
    ));
  const cache = createModelCache({ llama: getLlama, maxModels: options.maxModels ?? 2, sequences: maxConcurrent, threads, contextSize: options.contextSize ?? 4096, lastError, clearError: () => void errors.splice(0) });

  async function generateWith(ref: TextModelRef, params: GenerationParams, onText?: (text: string) => void): Promise<GenerationOutput> {
    checkParams(params);
    const release = await admission.enter(params.signal);
    try {
      const lease = await cache.acquire(ggufRef(ref));
      try {
        const tokens = promptTokens(lease.model, params.prompt);
        const room = lease.sequence.contextSize - tokens.length;
        if (room < 1) throw new ValidationError(`the prompt is ${tokens.length} tokens; the context holds ${lease.sequence.contextSize}`, { reason: 'prompt_too_long' });
        const wanted = params.limit.kind === 'new' ? params.limit.tokens : params.limit.tokens - tokens.length;
        const sequences = [];
        for (let i = 0; i < params.n; i++) {
          const seed = params.seed === undefined ? randomInt(2 ** 31) : params.seed + i;
          sequences.push(await runSequence(lease.model, lease.sequence, {
            tokens, maxNew: Math.min(wanted, room), temperature: params.temperature, topP: params.topP, ...(params.topK === undefined ? {} : { topK: params.topK }),
            seed, stop: params.stop ?? [], ...(params.signal ? { signal: params.signal } : {}), ...(onText ? { onText } : {}),
          }));
        }
        const completion = sequences.reduce((sum, s) => sum + s.completion_tokens, 0);
        return { sequences, usage: { prompt_tokens: tokens.length, completion_tokens: completion, total_tokens: tokens.length + completion } };
      } finally {
        lease.release();
      }
    } finally {
      release();
    }
  }

  return {
    backend: 'llama.cpp',
    threads,
    get loadedModels() {
      return cache.loadedCount;
    },
    generate: (ref, params) => generateWith(ref, params),
    async *stream(ref, params) {
      const chunks: string[] = [];
      let wake: (() => void) | undefined;
      let done: { finish?: 'stop' | 'length'; error?: unknown } | undefined;
      void generateWith(ref, { ...params, n: 1 }, (text) => { chunks.push(text); wake?.(); })
        .then((out) => { done = { finish: out.sequences[0]!.finish_reason }; }, (error: unknown) => { done = { error }; })
        .finally(() => wake?.());
      for (;;) {
        while (chunks.length > 0) yield { text: chunks.shift()! };
        if (done) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (done.error !== undefined) throw done.error;
      yield { text: '', finish_reason: done.finish! };
    },
    async countTokens(ref, text) {
      return cache.withModel(ggufRef(ref).path, (model) => promptTokens(model, text).length);
    },
    async close() {
      await cache.close();
      // node-llama-cpp 3.21's Llama.dispose() can wait forever once a model or LoRA failed to load (seen with an
      // unknown architecture); models and contexts are freed above, so the binding gets a bounded wait.
      const binding = await llama?.catch(() => undefined);
      if (binding) await Promise.race([binding.dispose(), delay(LLAMA_DISPOSE_WAIT_MS, undefined, { ref: false })]);
    },
  };
}
