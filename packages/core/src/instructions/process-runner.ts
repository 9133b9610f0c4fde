import { CoreError, NotFoundError, ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { createId } from '../platform/ids.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import type { InstructionDatasetStore } from './instruction-dataset-store.port.js';
import type { InstructionDataset, ProcessedOutput, ProcessingTask, ProcessResult } from './instruction.schema.js';
import type { ProcessingTaskStore } from './processing-task-store.port.js';
import { processRecords } from './process-records.js';
import { DEFAULT_PROMPT_TEMPLATE, parsePromptTemplate } from './prompt-template.js';
import { resolveSplitRatios } from './split-plan.js';
import { recoverableHere, type ServerLiveness } from '../servers/server-liveness.js';

/** What seed 003 `POST /datasets/process` asks for (ratios default 0.8 / 0.1 / 0.1, seed 42 as the origin). */
export interface ProcessInstructionsInput {
  datasetId: string;
  outputName: string;
  trainRatio?: number;
  valRatio?: number;
  testRatio?: number;
  /** Python `str.format` template over record fields; default {@link DEFAULT_PROMPT_TEMPLATE}. */
  template?: string;
  seed?: number;
  ownerId?: number | null;
}

export interface ProcessRunnerDeps {
  datasets: InstructionDatasetStore;
  tasks: ProcessingTaskStore;
  blobs: BlobStore;
  clock: Clock;
  maxRecordBytes: number;
  /** Several servers on one database: tasks record this server as their owner, and recovery leaves a live other server's alone. */
  servers?: ServerLiveness;
}

/** Output names become one folder name: letters, digits, `_`, `-`, `.`, starting with a letter or digit. */
const OUTPUT_NAME = /^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,127}$/u;
export const PROCESS_DONE_MESSAGE = '数据集处理完成';

function checkOutputName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError('output_name must be a non-empty string', { reason: 'invalid_output_name', details: { field: 'output_name' } });
  }
  if (!OUTPUT_NAME.test(value)) {
    throw new ValidationError(`output_name ${JSON.stringify(value.slice(0, 60))} must be 1–128 letters, digits, "_", "-" or "." starting with a letter or digit`, {
      reason: 'invalid_output_name',
      details: { field: 'output_name' },
    });
  }
  return value;
}

/** Runs processing as tasks: validates first, records the run, then streams in the background. */
export function createProcessRunner(deps: ProcessRunnerDeps) {
  const { datasets, tasks, blobs, clock } = deps;
  const running = new Set<string>();
  let recordTail: Promise<unknown> = Promise.resolve();
  const now = () => clock.now().toISOString();

  /** Adds (or replaces, by output name) an output on the dataset; one at a time, so two runs never lose each other's. */
  const recordOutput = (datasetId: string, output: ProcessedOutput) => {
    const next = recordTail.then(async () => {
      const current = await datasets.get(datasetId);
      if (current === undefined) return;
      await datasets.update(datasetId, { processed: [...current.processed.filter((p) => p.output_name !== output.output_name), output] });
    });
    recordTail = next.catch(() => undefined);
    return next;
  };

  async function run(task: ProcessingTask, dataset: InstructionDataset, input: ProcessInstructionsInput, prepared: ReturnType<typeof prepare>) {
    const outputKey = `instructions/${dataset.id}/processed/${task.output_name}`;
    const { counts, files } = await processRecords({
      blobs, dataset, outputKey, outputName: task.output_name, ratios: prepared.ratios, seed: prepared.seed, template: prepared.template,
      maxRecordBytes: deps.maxRecordBytes,
      onProgress: (progress) => tasks.update(task.task_id, { progress, updated_at: now() }).then(() => undefined),
    });
    const processedAt = now();
    const outputPath = blobs.localPath?.(outputKey) ?? outputKey;
    await recordOutput(dataset.id, {
      output_name: task.output_name, output_path: outputPath, task_id: task.task_id, splits: counts, ratios: prepared.ratios,
      seed: prepared.seed, template: input.template ?? DEFAULT_PROMPT_TEMPLATE, files, processed_at: processedAt,
    });
    const result: ProcessResult = {
      task_id: task.task_id, status: 'completed', dataset_id: dataset.id, output_path: outputPath, splits: counts, message: PROCESS_DONE_MESSAGE, processed_at: processedAt,
    };
    await tasks.update(task.task_id, { status: 'completed', progress: 100, updated_at: processedAt, finished_at: processedAt, result });
    return result;
  }

  function prepare(input: ProcessInstructionsInput) {
    const outputName = checkOutputName(input.outputName);
    const ratios = resolveSplitRatios({ train: input.trainRatio, validation: input.valRatio, test: input.testRatio });
    if (input.template !== undefined && typeof input.template !== 'string') {
      throw new ValidationError('template must be a string', { reason: 'invalid_template', details: { field: 'template' } });
    }
    const template = parsePromptTemplate(input.template ?? DEFAULT_PROMPT_TEMPLATE);
    const seed = input.seed ?? 42;
    if (!Number.isSafeInteger(seed)) throw new ValidationError(`seed must be an integer, got ${seed}`, { reason: 'invalid_seed', details: { field: 'seed' } });
    return { outputName, ratios, template, seed };
  }

  return {
    async start(input: ProcessInstructionsInput): Promise<{ task: ProcessingTask; done: Promise<ProcessResult> }> {
      if (typeof input.datasetId !== 'string') throw new ValidationError('dataset_id must be a string', { reason: 'wrong_type', details: { field: 'dataset_id' } });
      const prepared = prepare(input);
      const dataset = await datasets.get(input.datasetId);
      if (dataset === undefined) throw new NotFoundError(`instruction dataset not found: ${input.datasetId}`, { details: { dataset_id: input.datasetId } });
      const slot = `${dataset.id}/${prepared.outputName}`;
      if (running.has(slot)) {
        throw new CoreError('CONFLICT', `output ${prepared.outputName} of dataset ${dataset.id} is already being processed`, { details: { dataset_id: dataset.id, output_name: prepared.outputName } });
      }
      const created = now();
      const task: ProcessingTask = {
        task_id: createId('task', clock), kind: 'dataset_process', dataset_id: dataset.id, output_name: prepared.outputName, status: 'running',
        progress: 0, created_at: created, updated_at: created, owner_id: input.ownerId ?? dataset.owner_id ?? null,
        ...(deps.servers === undefined ? {} : { server_id: deps.servers.instanceId }),
      };
      running.add(slot);
      try {
        await tasks.create(task);
      } catch (error) {
        running.delete(slot);
        throw error;
      }
      const done = run(task, dataset, input, prepared).then(
        (result) => result,
        async (error: unknown) => {
          const at = now();
          const message = error instanceof CoreError ? error.message : 'processing failed unexpectedly (see the server log)';
          await tasks.update(task.task_id, { status: 'failed', updated_at: at, finished_at: at, error: message }).catch(() => undefined);
          throw error;
        },
      );
      void done.finally(() => running.delete(slot)).catch(() => undefined);
      return { task, done };
    },
    isBusy: (datasetId: string) => [...running].some((slot) => slot.startsWith(`${datasetId}/`)),
    async recover(): Promise<number> {
      const live = deps.servers === undefined ? new Set<string>() : await deps.servers.liveOthers();
      const stale = (await tasks.list()).filter((t) => t.status === 'running' && recoverableHere(deps.servers, live, t.server_id));
      const at = now();
      for (const t of stale) await tasks.update(t.task_id, { status: 'failed', updated_at: at, finished_at: at, error: 'the server stopped while this task ran' });
      return stale.length;
    },
  };
}
