import type { BlobStore } from '../storage/blob-store.port.js';
import type { FinetuneMetrics, FinetuneOutputs } from './finetune-outputs.schema.js';
import type { LocalBlobStore } from './job-paths.js';

/** Largest metrics file read (trainer_state.json of a long run is a few MB; trainer_log.jsonl likewise). */
const MAX_METRICS_BYTES = 64 * 1024 * 1024;
const ADAPTER_WEIGHTS = ['adapter_model.safetensors', 'adapter_model.bin'];

type Values = Record<string, unknown>;
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const isObject = (value: unknown): value is Values => typeof value === 'object' && value !== null && !Array.isArray(value);

async function readCapped(blobs: BlobStore, key: string): Promise<string | undefined> {
  const info = await blobs.stat(key);
  if (info === undefined || info.size > MAX_METRICS_BYTES) return undefined;
  return (await blobs.readBytes(key)).toString('utf8');
}

/** JSON as Python's json module writes it: bare NaN/Infinity (a diverged loss) read as null; undefined when unreadable. */
function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  for (const candidate of [text, text.replace(/([:[,]\s*)(?:NaN|-?Infinity)(?=\s*[,}\]])/g, '$1null')]) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

/** Metrics from HF Trainer / LLaMA-Factory `all_results.json` (`train_loss`, `eval_loss`, `epoch`, `train_runtime`). */
function fromAllResults(value: unknown): FinetuneMetrics {
  if (!isObject(value)) return {};
  return compact({ train_loss: num(value.train_loss), eval_loss: num(value.eval_loss), epoch: num(value.epoch), train_runtime: num(value.train_runtime) });
}

/** Metrics from a list of log entries (`trainer_state.json` `log_history`, or trainer_log.jsonl rows): the last of each. */
function fromEntries(entries: readonly unknown[], globalStep?: number): FinetuneMetrics {
  const found: FinetuneMetrics = {};
  let summarized = false; // HF's closing entry carries the run's mean `train_loss`; it beats the last step's `loss`
  for (const entry of entries) {
    if (!isObject(entry)) continue;
    const summary = num(entry.train_loss);
    if (summary !== undefined) [found.train_loss, summarized] = [summary, true];
    else if (num(entry.loss) !== undefined && !summarized) found.train_loss = num(entry.loss);
    if (num(entry.eval_loss) !== undefined) found.eval_loss = num(entry.eval_loss);
    if (num(entry.epoch) !== undefined) found.epoch = num(entry.epoch);
    if (num(entry.train_runtime) !== undefined) found.train_runtime = num(entry.train_runtime);
    const step = num(entry.step) ?? num(entry.current_steps);
    if (step !== undefined) found.global_step = Math.trunc(step);
  }
  if (globalStep !== undefined) found.global_step = Math.trunc(globalStep);
  return compact(found);
}

function compact(metrics: FinetuneMetrics): FinetuneMetrics {
  return Object.fromEntries(Object.entries(metrics).filter(([, v]) => v !== undefined)) as FinetuneMetrics;
}

function jsonLines(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  return text.split('\n').flatMap((line) => {
    const value = parseJson(line.trim() === '' ? undefined : line);
    return value === undefined ? [] : [value];
  });
}

async function finalMetrics(blobs: BlobStore, runKey: string): Promise<Pick<FinetuneOutputs, 'metrics' | 'metrics_source'>> {
  const state = parseJson(await readCapped(blobs, `${runKey}/trainer_state.json`));
  const sources: Array<[FinetuneOutputs['metrics_source'], FinetuneMetrics]> = [
    ['all_results.json', fromAllResults(parseJson(await readCapped(blobs, `${runKey}/all_results.json`)))],
    ['trainer_state.json', isObject(state) && Array.isArray(state.log_history) ? fromEntries(state.log_history, num(state.global_step)) : {}],
    ['trainer_log.jsonl', fromEntries(jsonLines(await readCapped(blobs, `${runKey}/trainer_log.jsonl`)))],
  ];
  let metrics: FinetuneMetrics = {};
  let source: FinetuneOutputs['metrics_source'] = 'none';
  for (const [name, found] of sources) {
    if (Object.keys(found).length > 0 && source === 'none') source = name;
    metrics = { ...found, ...metrics };
  }
  if (metrics.eval_loss !== undefined) metrics.perplexity = Math.exp(metrics.eval_loss);
  return { metrics, metrics_source: source };
}

/**
 * Finds what a fine-tune run left in its run folder (`runKey`, a data-root key): the final LoRA adapter
 * (`adapter_model.safetensors`/`.bin` + `adapter_config.json` at the top, else in the newest
 * `checkpoint-N/`), a full model (`config.json` + `model*.safetensors`), every `*.gguf`, and the final
 * metrics from `all_results.json`, then `trainer_state.json`, then `trainer_log.jsonl`
 * (perplexity = exp(eval_loss)). Metrics files over 64 MB are skipped.
 * @example const outputs = await collectFinetuneOutputs(blobs, jobKeys(job.job_id).run);
 */
export async function collectFinetuneOutputs(blobs: LocalBlobStore, runKey: string): Promise<FinetuneOutputs> {
  const keys = await blobs.list(runKey);
  const file = async (key: string) => ({ path: blobs.localPath(key), size: (await blobs.stat(key))?.size ?? 0 });
  const inFolder = (dir: string) => keys.filter((key) => key.startsWith(`${dir}/`) && !key.slice(dir.length + 1).includes('/'));
  const adapterIn = (dir: string) => {
    const names = inFolder(dir).map((key) => key.slice(dir.length + 1));
    return names.includes('adapter_config.json') && names.some((name) => ADAPTER_WEIGHTS.includes(name));
  };
  const checkpoints = [...new Set(keys.map((key) => /\/(checkpoint-(\d+))\//.exec(key.slice(runKey.length))?.[1]).filter((d): d is string => d !== undefined))]
    .sort((a, b) => Number(b.split('-')[1]) - Number(a.split('-')[1]));
  const adapterDir = [runKey, ...checkpoints.map((c) => `${runKey}/${c}`)].find(adapterIn);
  const folder = async (dir: string, pick: (name: string) => boolean) => ({
    dir: blobs.localPath(dir),
    files: await Promise.all(inFolder(dir).filter((key) => pick(key.slice(dir.length + 1))).map(file)),
  });
  const top = inFolder(runKey).map((key) => key.slice(runKey.length + 1));
  const isFull = adapterDir === undefined && top.includes('config.json') && top.some((name) => /^model(-\d+-of-\d+)?\.safetensors$/.test(name));
  return {
    adapter: adapterDir === undefined ? null : await folder(adapterDir, (name) => name === 'adapter_config.json' || ADAPTER_WEIGHTS.includes(name)),
    full_model: isFull ? await folder(runKey, (name) => /^(config\.json|model(-\d+-of-\d+)?\.safetensors|model\.safetensors\.index\.json)$/.test(name)) : null,
    gguf_files: await Promise.all(keys.filter((key) => key.toLowerCase().endsWith('.gguf')).map(file)),
    ...(await finalMetrics(blobs, runKey)),
  };
}
