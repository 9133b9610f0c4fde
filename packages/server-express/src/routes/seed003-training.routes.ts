import { z } from 'zod';
import { defineRoute, type Route } from '../http/route.js';
import { validateTrainInput, type TrainInput } from '../seed003/train-input.js';
import { errorResponses, idParam } from './params.js';
import { cancelSeed003Training, mustTrainingJob, seed003TrainingStatus, startSeed003Training } from './seed003-training.js';
import { Seed003TrainBodySchema, Seed003TrainCanceledSchema, Seed003TrainStartedSchema, Seed003TrainStatusSchema } from './seed003-training.schemas.js';

const base = { tags: ['seed003-training'], dialect: 's003' as const };
const TaskParams = z.object({ task_id: idParam('task_id').describe('The `task_id` POST /api/v1/train answered (a fine-tune job id) or the job\'s number. Another member\'s is a 404.') });

/** Seed 003's fine-tuning: start a LoRA/QLoRA job on a processed instruction dataset, follow it, cancel it. */
export const seed003TrainingRoutes: Route[] = [
  defineRoute<undefined, undefined, TrainInput>({
    ...base, method: 'post', path: '/api/v1/train', operationId: 'startSeed003Training', summary: 'Start a LoRA fine-tune of a processed instruction dataset',
    rateLimit: 'train', status: 202,
    description:
      'Checks the body as the origin did (400 listing every problem in Chinese `details`; plus upper bounds and our `base_model`), resolves `dataset_path` among your own ' +
      'processed instruction datasets (404 naming it otherwise), and queues an llm-finetune job: `config.learning_rate/batch_size/num_epochs` → learning_rate, ' +
      'per_device_train_batch_size, num_train_epochs; `quantization` int8/int4 → QLoRA with quantization_bit 8/4; `lora_config.r/lora_alpha/lora_dropout` → the LoRA settings. ' +
      'The trainer (LLaMA-Factory by default) writes into the job\'s own run folder; `config.output_dir` names the registered model. Training submissions are limited to 10 an hour.',
    validateBody: validateTrainInput,
    body: Seed003TrainBodySchema as unknown as z.ZodType<TrainInput>,
    responses: { 202: { description: 'Queued', schema: Seed003TrainStartedSchema }, ...errorResponses(400, 404, 415, 429) },
    handler: ({ body, res, services }) => startSeed003Training(services, res, body),
  }),
  defineRoute<z.infer<typeof TaskParams>>({
    ...base, method: 'get', path: '/api/v1/train/status/{task_id}', operationId: 'getSeed003TrainingStatus', summary: 'Status, progress and latest metrics of a fine-tune',
    params: TaskParams,
    responses: { 200: { description: 'The status', schema: Seed003TrainStatusSchema }, ...errorResponses(400, 404) },
    handler: async ({ params, services }) => seed003TrainingStatus(services, await mustTrainingJob(services, params.task_id)),
  }),
  defineRoute<z.infer<typeof TaskParams>>({
    ...base, method: 'post', path: '/api/v1/train/cancel/{task_id}', operationId: 'cancelSeed003Training', summary: 'Cancel a queued or running fine-tune',
    description:
      'SIGINT to the trainer first (LLaMA-Factory and HF Trainer save a checkpoint on it), SIGTERM after the fine-tune stop grace, then SIGKILL; answers once the process is gone. ' +
      'A task already completed, failed or canceled is a 409 CONFLICT naming its state.',
    params: TaskParams,
    responses: { 200: { description: 'Canceled', schema: Seed003TrainCanceledSchema }, ...errorResponses(400, 404, 409) },
    handler: async ({ params, services }) => cancelSeed003Training(services, await mustTrainingJob(services, params.task_id)),
  }),
];
