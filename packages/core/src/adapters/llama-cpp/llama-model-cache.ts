import path from 'node:path';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { ValidationError } from '../../errors.js';
import type { LlmInfo } from '../../generation/llm-info.schema.js';
import type { TextModelRef } from '../../generation/text-generator.port.js';
import { createGgufFileCheck } from './gguf-file-check.js';

export interface ModelCacheOptions {
  llama: () => Promise<Llama>;
  /** Models kept loaded (least recently used ones beyond this are freed when idle). */
  maxModels: number;
  /** Sequences of each context: the generations that run on one model + adapters at once. */
  sequences: number;
  threads: number;
  /** Tokens per sequence (capped by the model's training context). */
  contextSize: number;
  /** The llama.cpp error line that says why a load failed. */
  lastError: () => string | undefined;
  clearError: () => void;
}

interface ContextEntry {
  context: LlamaContext;
  free: LlamaContextSequence[];
  waiters: ((sequence: LlamaContextSequence) => void)[];
}
interface ModelEntry {
  model: LlamaModel;
  users: number;
  lastUsed: number;
  contexts: Map<string, Promise<ContextEntry>>;
}

/** A sequence lent for one generation; `release()` clears nothing (the next user clears the history). */
export interface Lease {
  model: LlamaModel;
  sequence: LlamaContextSequence;
  release(): void;
}

/** llama.cpp's log lines reach JS asynchronously: the why may arrive just after the rejection. */
async function loadError(file: string, info: LlmInfo, why: () => string | undefined, error: unknown): Promise<ValidationError> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const what = `a GGUF ${info.kind} of architecture ${info.architecture}`;
  return new ValidationError(`${path.basename(file)} (${what}): llama.cpp could not load it: ${why() ?? (error as Error).message}`, { reason: 'model_load_failed', cause: error });
}

/**
 * Loaded models (LRU) with one reusable context per model + adapter set. Every file is checked with
 * the GGUF reader before llama.cpp sees it (a refused file is never loaded), once per size and mtime.
 */
export function createModelCache(options: ModelCacheOptions) {
  const models = new Map<string, Promise<ModelEntry>>();
  const loaded = new Map<string, ModelEntry>();
  let clock = 0;

  const check = createGgufFileCheck();

  async function load(file: string): Promise<ModelEntry> {
    const info = await check(file, 'model');
    const llama = await options.llama();
    options.clearError();
    try {
      const model = await llama.loadModel({ modelPath: file, gpuLayers: llama.gpu === false ? 0 : 'auto' });
      return { model, users: 0, lastUsed: 0, contexts: new Map() };
    } catch (error) {
      throw await loadError(file, info, options.lastError, error);
    }
  }

  async function createContext(entry: ModelEntry, ref: TextModelRef & { kind: 'gguf' }): Promise<ContextEntry> {
    const infos: LlmInfo[] = [];
    for (const a of ref.adapters ?? []) infos.push(await check(a.path, 'adapter'));
    const adapters = (ref.adapters ?? []).map((a) => ({ filePath: a.path, scale: a.scale ?? 1 }));
    options.clearError();
    try {
      const context = await entry.model.createContext({
        sequences: options.sequences, threads: options.threads, contextSize: Math.min(options.contextSize, entry.model.trainContextSize),
        ...(adapters.length ? { lora: { adapters } } : {}),
      });
      return { context, free: Array.from({ length: options.sequences }, () => context.getSequence()), waiters: [] };
    } catch (error) {
      throw await loadError(ref.adapters?.[0]?.path ?? ref.path, infos[0] ?? (await check(ref.path, 'model')), options.lastError, error);
    }
  }

  /** Frees the least recently used idle models beyond `maxModels` (selection is synchronous: no user can slip in). */
  async function trim(): Promise<void> {
    const idle = [...loaded].filter(([, e]) => e.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    const drop = idle.slice(0, Math.max(0, loaded.size - options.maxModels));
    for (const [key] of drop) {
      loaded.delete(key);
      models.delete(key);
    }
    for (const [, entry] of drop) await dispose(entry);
  }

  async function dispose(entry: ModelEntry): Promise<void> {
    for (const c of entry.contexts.values()) await (await c.catch(() => undefined))?.context.dispose();
    await entry.model.dispose();
  }

  /** The model's entry with one more user (taken in the same step that gets it, so `trim` never frees it under a caller). */
  async function hold(file: string): Promise<ModelEntry> {
    if (!models.has(file)) {
      const pending = load(file).then((entry) => (loaded.set(file, entry), entry));
      models.set(file, pending);
      pending.catch(() => models.delete(file));
    }
    const entry = await models.get(file)!;
    entry.users++;
    entry.lastUsed = ++clock;
    return entry;
  }

  const letGo = (entry: ModelEntry) => {
    entry.users--;
    void trim();
  };

  return {
    /** Lends a sequence of the model + adapters' context, loading (and checking) what is not loaded yet. */
    async acquire(ref: TextModelRef & { kind: 'gguf' }): Promise<Lease> {
      const entry = await hold(ref.path);
      try {
        const key = JSON.stringify(ref.adapters ?? []);
        if (!entry.contexts.has(key)) {
          const pending = createContext(entry, ref);
          entry.contexts.set(key, pending);
          pending.catch(() => entry.contexts.delete(key));
        }
        const ctx = await entry.contexts.get(key)!;
        const sequence = ctx.free.pop() ?? (await new Promise<LlamaContextSequence>((resolve) => ctx.waiters.push(resolve)));
        const release = () => {
          const waiter = ctx.waiters.shift();
          if (waiter) waiter(sequence);
          else ctx.free.push(sequence);
          letGo(entry);
        };
        return { model: entry.model, sequence, release };
      } catch (error) {
        letGo(entry);
        throw error;
      }
    },
    /** Runs `use` on the loaded (checked) model while holding it (counting tokens). */
    async withModel<T>(file: string, use: (model: LlamaModel) => T): Promise<T> {
      const entry = await hold(file);
      try {
        return use(entry.model);
      } finally {
        letGo(entry);
      }
    },
    /** Models loaded now. */
    get loadedCount() {
      return loaded.size;
    },
    check,
    async close(): Promise<void> {
      const all = [...models.values()];
      models.clear();
      loaded.clear();
      for (const pending of all) {
        const entry = await pending.catch(() => undefined);
        if (entry) await dispose(entry);
      }
    },
  };
}

export type ModelCache = ReturnType<typeof createModelCache>;
