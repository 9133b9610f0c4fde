import { InstructionReportSchema, ProcessResultSchema } from '@yoloops/core';
import { z } from 'zod';
import { ownerIdOf, principalOf } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import { SEED003_UPLOAD_FIELDS, seed003Json, Seed003DatasetProcessRequestSchema, validateDatasetProcess, type DatasetProcessRequest } from '../seed003/validation.js';
import { instructionOf, mustDatasetEntry } from './catalog-dataset-union.js';
import { recordOwner } from './ownership.js';
import { errorResponses, idParam, SHARED_WITH_SEED003 } from './params.js';
import { ProcessQuerySchema, Seed003ProcessRunningSchema, Seed003UploadedDatasetSchema, uploadedView } from './seed003-datasets.schemas.js';
import { DEFAULT_PROCESS_WAIT_S, processForSeed003 } from './seed003-process.js';
import { receiveSeed003Upload } from './seed003-upload.js';

const base = { tags: ['seed003-datasets'], dialect: 's003' as const };

/** Seed 003's instruction datasets: upload (JSON, JSON Lines, CSV) and processing into train/validation/test JSONL for LLaMA-Factory. */
export const seed003DatasetRoutes: Route[] = [
  defineRoute({
    ...base, method: 'post', path: '/api/v1/datasets/upload', operationId: 'uploadInstructionDataset', summary: 'Upload an instruction dataset (JSON, JSON Lines or CSV)',
    description:
      'Streams the file to storage (the dataset upload cap), checks every record (Alpaca `instruction/input/output/system`, ShareGPT `conversations`, OpenAI `messages`; ' +
      'missing fields, empty text, bad JSON with line numbers, duplicates) and keeps the valid ones. The form is checked as the origin did once it is read whole ' +
      '(`name` may come after the file): a 400 lists every problem in Chinese `details`. A file with no valid record is a 400 naming why. Owned by the caller.',
    multipart: { fileField: 'file', fields: SEED003_UPLOAD_FIELDS, description: 'The dataset file (.json, .jsonl or .csv)' },
    responses: { 200: { description: 'Stored and checked', schema: Seed003UploadedDatasetSchema }, ...errorResponses(400, 413) },
    handler: async ({ req, res, services }) => {
      const ds = await receiveSeed003Upload(req, services, ownerIdOf(principalOf(res)));
      return uploadedView(ds, await recordOwner(services, res, 'dataset', ds.id, { owner_id: ds.owner_id }));
    },
  }),
  defineRoute<undefined, z.infer<typeof ProcessQuerySchema>, DatasetProcessRequest>({
    ...base, method: 'post', path: '/api/v1/datasets/process', operationId: 'processInstructionDataset', summary: 'Template, split and write JSONL + dataset_info.json',
    description:
      'Renders each valid record through the prompt template, splits them with the seed (train/validation/test; exact counts by largest remainder), and writes ' +
      '`train.jsonl`, `validation.jsonl`, `test.jsonl` and LLaMA-Factory\'s `dataset_info.json` under `output_path`, streaming. The run is a task (`GET /api/v1/tasks`). ' +
      `Answers 200 with the seed's body when the run ends within \`wait_s\` (default ${DEFAULT_PROCESS_WAIT_S}), else 202 with status \`running\` and the \`task_id\` to poll. ` +
      '`dataset_id` is an instruction dataset\'s id (`ids_…`) or its number; another member\'s is a 404.',
    query: ProcessQuerySchema, validateBody: seed003Json(validateDatasetProcess),
    // Documents the body only: the origin's validator above checks it, with its own messages and order.
    body: Seed003DatasetProcessRequestSchema as unknown as z.ZodType<DatasetProcessRequest>,
    responses: {
      200: { description: 'Processed', schema: ProcessResultSchema },
      202: { description: 'Still running: poll GET /api/v1/tasks/{task_id}', schema: Seed003ProcessRunningSchema },
      ...errorResponses(400, 404, 409, 415),
    },
    handler: ({ body, query, req, res, services }) =>
      processForSeed003(services, res, { body, seed: (req.body as { seed?: unknown }).seed, waitS: query.wait_s ?? DEFAULT_PROCESS_WAIT_S }),
  }),
  defineRoute({
    ...SHARED_WITH_SEED003, tags: ['seed003-datasets'], method: 'get', path: '/api/v1/datasets/{dataset_id}/report', operationId: 'getInstructionDatasetReport',
    summary: 'The validation report of an instruction dataset',
    description: 'Counts per issue code and format, and the first issues in file order (record index, line, field, message). A detection dataset has none here (404).',
    params: z.object({ dataset_id: idParam('dataset_id').describe('The dataset\'s number or its id (`ids_…`).') }),
    responses: { 200: { description: 'The report', schema: InstructionReportSchema }, ...errorResponses(400, 404) },
    handler: async ({ params, res, services }) => services.instructions.getReport((await instructionOf(services, await mustDatasetEntry(services, res, params.dataset_id))).id),
  }),
];
