import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import JSZip from 'jszip';
import { CLI, PACKAGE_DIR } from './child.js';
import { WORKER_TRAINER } from './worker-trainer.js';

/** The agent from source: this Node with tsx and the `source` condition, then src/cli.ts. */
export const SOURCE_AGENT = [
  process.execPath, '--conditions=source', '--import', pathToFileURL(path.join(PACKAGE_DIR, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, CLI,
];

/** A prepared dataset version as the server's dataset route sends it. */
export async function datasetZip(): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('data.yaml', 'train: images/train\nval: images/train\nnames:\n  0: cat\n');
  zip.file('images/train/a.jpg', 'jpeg bytes');
  zip.file('labels/train/a.txt', '0 0.5 0.5 0.1 0.1\n');
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** A temp folder holding trainer.mjs. */
export function workerTestDir(): { root: string; trainer: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'worker-'));
  const trainer = path.join(root, 'trainer.mjs');
  writeFileSync(trainer, WORKER_TRAINER);
  return { root, trainer };
}

/** A work order for `job_id`/`attempt` running the scripted trainer; `extra` are more trainer arguments (e.g. `hang=1`). */
export function workOrder(trainer: string, options: { job_id?: string; attempt?: number; extra?: string[]; weights?: boolean; kind?: 'detect' | 'llm-finetune' } = {}) {
  const job = options.job_id ?? 'job_1';
  const attempt = options.attempt ?? 1;
  return {
    job_id: job, attempt, kind: options.kind ?? 'detect', agent_token: 'agent-token', resume: false,
    trainer: [process.execPath, trainer, 'data={data}', 'model={model}', 'project={project}', 'name={name}', 'epochs={epochs}', ...(options.extra ?? [])],
    values: { epochs: '2', imgsz: '64', batch: '2', name: 'train', job_id: job, model: 'yolov8n.pt' },
    dataset: { url: `/api/workers/jobs/${job}/dataset?attempt=${attempt}`, dataset_id: 'ds_1', version: 'v1' },
    weights: options.weights ? { url: `/api/workers/jobs/${job}/weights?attempt=${attempt}`, file_name: 'last.pt' } : null,
    finetune: options.kind === 'llm-finetune' ? { arguments: { stage: 'sft', do_train: true } } : null,
  };
}

/** Whether a process exists and is no zombie (a killed orphan stays a zombie until its new parent reaps it). */
export function processLives(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}
