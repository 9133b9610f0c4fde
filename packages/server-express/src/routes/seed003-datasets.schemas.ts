import { InstructionFileFormatSchema, InstructionRecordFormatSchema, InstructionReportSummarySchema, type InstructionDataset, type ResourceEntry } from '@yoloops/core';
import { z } from 'zod';

/** Seed 003's `message` of a successful upload. */
export const UPLOAD_DONE_MESSAGE = '数据集上传成功';
/** Our `message` of a processing run still going when the answer is sent (202). */
export const PROCESS_RUNNING_MESSAGE = '数据集处理中';

export const Seed003UploadedDatasetSchema = z
  .object({
    id: z.string().describe('The instruction dataset (`ids_…`): `dataset_id` of `POST /api/v1/datasets/process`.'),
    name: z.string(),
    path: z.string().describe('The stored file (absolute on local storage).'),
    uploaded_at: z.string(),
    size_mb: z.number().describe('Bytes ÷ 2^20, two decimals.'),
    samples_count: z.number().int().describe('Valid records kept (invalid ones and duplicates are counted in `report`).'),
    description: z.string(),
    message: z.string().describe(`"${UPLOAD_DONE_MESSAGE}"`),
    number: z.number().int().describe('Ours: the dataset\'s number, as seed 002\'s `/api/v1/datasets` shows it.'),
    format: InstructionFileFormatSchema.describe('Ours: the file format read (the `format` field, else the file\'s extension).'),
    record_format: InstructionRecordFormatSchema.describe('Ours: the record format detected (majority of the valid records).'),
    size_bytes: z.number().int(),
    report: InstructionReportSummarySchema.describe('Ours: the validation summary; the issues themselves are in `GET /api/v1/datasets/{dataset_id}/report`.'),
  })
  .meta({ id: 'Seed003UploadedDataset' });

export const Seed003ProcessRunningSchema = z
  .object({
    task_id: z.string().describe('Poll it at `GET /api/v1/tasks/{task_id}` (its `status` becomes completed or failed).'),
    status: z.literal('running'),
    dataset_id: z.string(),
    output_path: z.null(),
    splits: z.null(),
    progress: z.number().describe('Percent of the two passes over the file so far.'),
    message: z.string().describe(`"${PROCESS_RUNNING_MESSAGE}"`),
    processed_at: z.null(),
  })
  .meta({ id: 'Seed003ProcessRunning' });

export const ProcessQuerySchema = z.object({
  wait_s: z.coerce.number().int().min(0).max(300).optional().describe('Ours: seconds to wait for the run before answering 202 (default 25; 0 answers at once).'),
});

/** The seed 003 answer of an upload, with our extras. */
export function uploadedView(ds: InstructionDataset, entry: ResourceEntry): z.infer<typeof Seed003UploadedDatasetSchema> {
  return {
    id: ds.id, name: ds.name, path: ds.path, uploaded_at: ds.created_at, size_mb: ds.size_mb, samples_count: ds.samples_count, description: ds.description,
    message: UPLOAD_DONE_MESSAGE, number: entry.number, format: ds.file_format, record_format: ds.record_format, size_bytes: ds.size_bytes, report: ds.report,
  };
}
