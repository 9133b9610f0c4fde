/**
 * Text generation throughput on a llama-architecture GGUF written by the tests' tiny-gguf kit (no
 * download), each variant measured in the same run, interleaved so drift in machine load hits all alike:
 * - `direct`: node-llama-cpp called directly (one context, one sequence, `sequence.evaluate`, greedy);
 * - `adapter`: the same model and prompt through `createLlamaCppTextGenerator().generate`;
 * - `server`: a real `yoloops serve` child (rate limits off), the model uploaded through `POST /models/upload`,
 *   `POST /api/v1/generate` on the same prompt (greedy, `max_length` = prompt + the tokens), timed by the client;
 * each variant after `direct` is reported as ÷ direct.
 * Also reports direct tokens/s at 1 and 2 threads on the tiny and the wide model (the default-threads choice).
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import JSZip from 'jszip';
import { getLlama, type Llama } from 'node-llama-cpp';
import { createLlamaCppTextGenerator } from '../packages/core/src/adapters/llama-cpp/llama-cpp-text-generator.js';
import { encodeGguf, tinyLlama, TINY_SHAPE, type TinyLlamaShape } from '../packages/core/test/support/tiny-gguf.js';
import { isQuickRun, log, type Bench, type BenchResult } from './support/bench.js';
import { startServerChild, stopChild } from './support/server-child.js';
import { median, round } from './support/stats.js';
import { createTempDir, removeTempDir, withTempDir } from './support/temp-dir.js';

const NAME = 'generation';
const PROMPT = 'The quick brown fox';
const WIDE: TinyLlamaShape = { embd: 512, layers: 8, ff: 1536, heads: 8, context: 512 };

/** One way of generating `tokens` greedy tokens of `PROMPT` on a model; returns the tokens made. */
interface Variant {
  name: string;
  open(llama: Llama, modelPath: string, threads: number): Promise<{ generate(tokens: number): Promise<number>; close(): Promise<void> }>;
}

const direct: Variant = {
  name: 'direct',
  async open(llama, modelPath, threads) {
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({ sequences: 1, threads, contextSize: Math.min(4096, model.trainContextSize) });
    const sequence = context.getSequence();
    const prompt = [model.tokens.bos!, ...model.tokenize(PROMPT, false)];
    return {
      async generate(tokens) {
        await sequence.clearHistory();
        let made = 0;
        for await (const _token of sequence.evaluate(prompt, { temperature: 0 })) if (++made >= tokens) break;
        return made;
      },
      close: async () => { await context.dispose(); await model.dispose(); },
    };
  },
};

const adapter: Variant = {
  name: 'adapter',
  async open(_llama, modelPath, threads) {
    const generator = createLlamaCppTextGenerator({ threads, maxConcurrent: 1 });
    const ref = { kind: 'gguf' as const, id: 'bench', path: modelPath };
    const run = async (tokens: number) => (await generator.generate(ref, { prompt: PROMPT, limit: { kind: 'new', tokens }, temperature: 0, topP: 1, n: 1 })).usage.completion_tokens;
    await run(4); // loads the model
    return { generate: run, close: () => generator.close() };
  },
};

/** The model as an upload ZIP (stored, not deflated: the weights are random floats). */
async function modelZip(modelPath: string): Promise<Blob> {
  const zip = new JSZip();
  zip.file('model.json', JSON.stringify({ name: 'bench' }));
  zip.file(`weights/${path.basename(modelPath)}`, await fsp.readFile(modelPath));
  return new Blob([new Uint8Array(await zip.generateAsync({ type: 'uint8array', compression: 'STORE' }))]);
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

const server: Variant = {
  name: 'server',
  async open(_llama, modelPath, threads) {
    const dir = await createTempDir(`${NAME}-server`);
    const { child, origin } = await startServerChild(dir, { YOLOOPS_LLAMA_THREADS: String(threads), YOLOOPS_RATE_LIMITS: 'off', YOLOOPS_AUTH: 'off' });
    const form = new FormData();
    form.append('file', await modelZip(modelPath), 'bench.zip');
    const uploaded = await fetch(`${origin}/models/upload`, { method: 'POST', body: form });
    const { model_id: modelId } = (await uploaded.json()) as { model_id: string };
    const call = (maxLength: number) => postJson(`${origin}/api/v1/generate`, { prompt: PROMPT, model_path: modelId, max_length: maxLength, temperature: 0 });
    const promptTokens = ((await call(8)).usage as { prompt_tokens: number }).prompt_tokens; // also loads the model
    return {
      generate: async (tokens) => ((await call(promptTokens + tokens)).usage as { completion_tokens: number }).completion_tokens,
      close: async () => {
        await stopChild(child);
        await removeTempDir(dir);
      },
    };
  },
};

/** Variants compared with `direct` (the first). */
export const VARIANTS: Variant[] = [direct, adapter, server];

async function writeModel(dir: string, name: string, shape: TinyLlamaShape): Promise<string> {
  const file = path.join(dir, `${name}.gguf`);
  const { metadata, tensors } = tinyLlama(3, shape);
  await fsp.writeFile(file, encodeGguf(metadata, tensors));
  return file;
}

/** Median tokens/s of each variant over `runs` interleaved rounds. */
async function measure(llama: Llama, variants: Variant[], modelPath: string, opts: { threads: number; tokens: number; runs: number }): Promise<number[]> {
  const opened = await Promise.all(variants.map((v) => v.open(llama, modelPath, opts.threads)));
  try {
    const rates: number[][] = variants.map(() => []);
    for (const o of opened) await o.generate(8); // warm
    for (let r = 0; r < opts.runs; r++) {
      for (const [i, o] of opened.entries()) {
        const start = performance.now();
        const made = await o.generate(opts.tokens);
        rates[i]!.push(made / ((performance.now() - start) / 1000));
      }
    }
    return rates.map((r) => median(r));
  } finally {
    for (const o of opened) await o.close();
  }
}

export const bench: Bench = {
  name: NAME,
  async run(): Promise<BenchResult[]> {
    const quick = isQuickRun();
    const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, maxThreads: 0 });
    try {
      return await withTempDir(NAME, async (dir) => {
        const tiny = await writeModel(dir, 'tiny', TINY_SHAPE);
        const wide = await writeModel(dir, 'wide', quick ? { ...WIDE, layers: 2 } : WIDE);
        const runs = quick ? 2 : 7;
        const results: BenchResult[] = [];
        log(NAME, `${VARIANTS.map((v) => v.name).join(' vs ')} on the wide model (${WIDE.embd} wide, ${WIDE.layers} layers), 1 thread`);
        const rates = await measure(llama, VARIANTS, wide, { threads: 1, tokens: quick ? 32 : 128, runs });
        results.push({ metric: 'direct tokens/s (wide model, 1 thread, the baseline)', value: round(rates[0]!), unit: 'tok/s' });
        for (const [i, v] of VARIANTS.entries()) {
          if (i === 0) continue;
          results.push({ metric: `${v.name} ÷ direct tokens/s`, value: round(rates[i]! / rates[0]!), unit: '×', target: { op: '>=', value: 0.9 }, note: `${round(rates[i]!)} tok/s` });
        }
        for (const [label, file] of [['tiny', tiny], ['wide', wide]] as const) {
          for (const threads of [1, 2]) {
            log(NAME, `direct on the ${label} model, ${threads} thread(s)`);
            const [rate] = await measure(llama, [direct], file, { threads, tokens: quick ? 32 : 128, runs: quick ? 2 : 5 });
            results.push({ metric: `direct tokens/s (${label} model, ${threads} thread${threads > 1 ? 's' : ''})`, value: round(rate!), unit: 'tok/s' });
          }
        }
        return results;
      });
    } finally {
      await llama.dispose();
    }
  },
};
