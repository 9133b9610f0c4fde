import type { Readable } from 'node:stream';
import { DEFAULT_DATASET_LIMITS } from '../datasets/dataset-limits.js';
import { cleanFilename } from '../datasets/upload-dataset.js';
import { CoreError, NotFoundError, ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { createId } from '../platform/ids.js';
import { parseStoredJson } from '../platform/safe-json.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import type { InstructionDatasetStore } from './instruction-dataset-store.port.js';
import type { InstructionDataset, InstructionReport, ProcessingTask, ProcessResult } from './instruction.schema.js';
import type { ProcessingTaskStore } from './processing-task-store.port.js';
import type { ServerLiveness } from '../servers/server-liveness.js';
import { createProcessRunner, type ProcessInstructionsInput } from './process-runner.js';
import { noValidRecords, resolveFileFormat, scanInstructionUpload, storeInstructionUpload, type InstructionLimits } from './upload-instructions.js';

export interface InstructionDatasetServiceDeps {
  datasets: InstructionDatasetStore;
  tasks: ProcessingTaskStore;
  blobs: BlobStore;
  clock: Clock;
  limits?: Partial<InstructionLimits>;
  /** Several servers on one database: processing tasks record their server, and start-up recovery leaves a live other server's alone. */
  servers?: ServerLiveness;
}

export interface UploadInstructionsInput {
  body: Readable;
  /** Client file name: shown, and its extension picks the format when `format` is absent. */
  filename?: string;
  name: string;
  description?: string;
  /** json | jsonl | csv; default from the file name, else json. */
  format?: string;
  ownerId?: number | null;
}

export const DEFAULT_INSTRUCTION_LIMITS: InstructionLimits = {
  maxUploadBytes: DEFAULT_DATASET_LIMITS.maxUploadBytes,
  maxRecordBytes: 16 * 1024 ** 2,
  maxIssues: DEFAULT_DATASET_LIMITS.maxIssues,
};

const reportKey = (id: string) => `instructions/${id}/report.json`;
const toMb = (bytes: number) => Math.round((bytes / 1048576) * 100) / 100;

function checkText(value: unknown, field: string, o: { required: boolean; max: number }): string {
  if (value === undefined || value === null) {
    if (o.required) throw new ValidationError(`${field} is required`, { reason: 'missing_field', details: { field } });
    return '';
  }
  if (typeof value !== 'string') throw new ValidationError(`${field} must be a string`, { reason: 'wrong_type', details: { field } });
  if (o.required && value.trim() === '') throw new ValidationError(`${field} must not be empty`, { reason: 'empty_text', details: { field } });
  if (value.length > o.max) throw new ValidationError(`${field} is longer than ${o.max} characters`, { reason: 'too_long', details: { field } });
  return value;
}

/** The report without its issue list, as kept on the record. */
const summarize = (r: InstructionReport): InstructionDataset['report'] => ({
  records_total: r.records_total, records_valid: r.records_valid, records_invalid: r.records_invalid, duplicates: r.duplicates,
  formats: r.formats, issue_counts: r.issue_counts, issues_truncated: r.issues_truncated,
});

/**
 * Instruction datasets (seed 003 `/datasets/upload` and `/datasets/process`): upload JSON, JSON Lines or
 * CSV, validated record by record; process into seeded train/validation/test JSONL for LLaMA-Factory.
 * @example
 * const service = createInstructionDatasetService({ datasets, tasks, blobs, clock: systemClock });
 * const ds = await service.upload({ body: fs.createReadStream('sample.json'), filename: 'sample.json', name: '金融' });
 * const result = await service.process({ datasetId: ds.id, outputName: 'finance_processed' });
 */
export function createInstructionDatasetService(deps: InstructionDatasetServiceDeps) {
  const { datasets, tasks, blobs, clock } = deps;
  const limits: InstructionLimits = { ...DEFAULT_INSTRUCTION_LIMITS, ...deps.limits };
  const runner = createProcessRunner({ datasets, tasks, blobs, clock, maxRecordBytes: limits.maxRecordBytes, ...(deps.servers ? { servers: deps.servers } : {}) });

  const get = async (id: string): Promise<InstructionDataset> => {
    const found = await datasets.get(id);
    if (found === undefined) throw new NotFoundError(`instruction dataset not found: ${id}`, { details: { dataset_id: id } });
    return found;
  };

  return {
    /** Streams the upload to storage under the byte cap, validates every record, and records the dataset; zero valid records is a `ValidationError`. */
    async upload(input: UploadInstructionsInput): Promise<InstructionDataset> {
      const name = checkText(input.name, 'name', { required: true, max: 255 });
      const description = checkText(input.description, 'description', { required: false, max: 10_000 });
      const fileFormat = resolveFileFormat(input.format, input.filename);
      const id = createId('ids', clock);
      const key = `instructions/${id}/source.${fileFormat}`;
      try {
        const stored = await storeInstructionUpload(blobs, key, input.body, limits.maxUploadBytes);
        const report = await scanInstructionUpload(blobs, key, fileFormat, limits);
        if (report.record_format === null || report.records_valid === 0) throw noValidRecords(report);
        await blobs.write(reportKey(id), JSON.stringify(report));
        const dataset: InstructionDataset = {
          id, name, description, filename: cleanFilename(input.filename ?? `dataset.${fileFormat}`), file_format: fileFormat,
          record_format: report.record_format, samples_count: report.records_valid, size_bytes: stored.size, size_mb: toMb(stored.size),
          sha256: stored.sha256, blob_key: key, path: blobs.localPath?.(key) ?? key, created_at: clock.now().toISOString(),
          owner_id: input.ownerId ?? null, report: summarize(report), processed: [],
        };
        await datasets.create(dataset);
        return dataset;
      } catch (error) {
        input.body.resume();
        await blobs.delete(`instructions/${id}`);
        throw error;
      }
    },
    get,
    /** Newest first. */
    list: () => datasets.list(),
    /** The full validation report of an upload (issues capped at `maxIssues`). */
    async getReport(id: string): Promise<InstructionReport> {
      await get(id);
      return parseStoredJson<InstructionReport>((await blobs.readBytes(reportKey(id))).toString('utf8'));
    },
    /** Removes the record, the upload and its processed outputs; past task records stay. */
    async delete(id: string): Promise<void> {
      await get(id);
      if (runner.isBusy(id)) throw new CoreError('CONFLICT', `instruction dataset ${id} is being processed`, { details: { dataset_id: id } });
      await datasets.delete(id);
      await blobs.delete(`instructions/${id}`);
    },
    /** Starts processing (a task recorded as `running`) and returns it with a promise of the seed 003 result. */
    startProcess: (input: ProcessInstructionsInput): Promise<{ task: ProcessingTask; done: Promise<ProcessResult> }> => runner.start(input),
    /** Processes to completion and answers as seed 003 `POST /datasets/process`. */
    async process(input: ProcessInstructionsInput): Promise<ProcessResult> {
      return (await runner.start(input)).done;
    },
    async getTask(taskId: string): Promise<ProcessingTask> {
      const task = await tasks.get(taskId);
      if (task === undefined) throw new NotFoundError(`task not found: ${taskId}`, { details: { task_id: taskId } });
      return task;
    },
    listTasks: (filter?: { datasetId?: string }) => tasks.list(filter),
    /** Marks runs left `running` by a stopped server as failed; call once at startup. Returns how many. */
    recoverOnStart: () => runner.recover(),
  };
}

export type InstructionDatasetService = ReturnType<typeof createInstructionDatasetService>;
