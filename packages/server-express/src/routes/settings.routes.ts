import { CreateJobRequestSchema, DEFAULT_USER_PREFERENCES, GpuThresholdsSchema, GpuThresholdsUpdateSchema, UserPreferencesPatchSchema, UserPreferencesSchema } from '@yoloops/core';
import type { Response } from 'express';
import { z } from 'zod';
import { authSettingsOf } from '../auth/auth-settings.js';
import { HttpError } from '../http/errors.js';
import { principalOf } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import { SERVER_VERSION } from '../server-version.js';
import { errorResponses } from './params.js';
import { StorageSettingsSchema, storageSettings } from './storage-settings.js';

const SystemSettingsSchema = z
  .object({
    site_name: z.string(), site_description: z.string(), version: z.string().describe('The server package\'s version.'),
    language: z.string(), theme: z.string(), timezone: z.string().describe('The server\'s time zone (IANA).'),
    features: z.object({
      gpu_monitoring: z.boolean().describe('nvidia-smi found at least one GPU.'),
      distributed_training: z.boolean().describe('false: jobs train on this machine (no worker queue).'),
      model_registry: z.boolean(), inference_service: z.boolean(),
      auth_required: z.boolean().describe('Every non-public route needs a token (YOLOOPS_AUTH=required).'),
      open_registration: z.boolean().describe('Anyone may register a member account.'),
    }),
    auth_mode: z.enum(['required', 'off']),
  })
  .meta({ id: 'SystemSettings' });

const TrainingSettingsSchema = z
  .object({
    default_learning_rate: z.number().nullable().describe('null: the trainer\'s own (Ultralytics lr0), as jobs pass none.'),
    default_batch_size: z.number().describe('-1: Ultralytics AutoBatch.'),
    default_epochs: z.number().int(), default_imgsz: z.number().int(), default_model: z.string(),
    max_concurrent_tasks: z.number().int().describe('Trainers that run at once; the rest wait queued.'),
    supported_frameworks: z.array(z.string()),
    trainer_command: z.object({ train: z.array(z.string()), resume: z.array(z.string()) }).describe('The argv templates new jobs run (never through a shell).'),
    agent_command: z.array(z.string()).nullable().describe('The trainer agent wrapped around the trainer; null: none.'),
  })
  .meta({ id: 'TrainingSettings' });

/** Whose preferences a request reads and writes: a user's own; `local` (auth off) shares one set. */
function preferencesOwner(res: Response): string {
  const principal = principalOf(res);
  if (principal.kind === 'user') return String(principal.userId);
  if (principal.kind === 'local') return 'local';
  throw new HttpError(403, 'a trainer agent token has no user preferences', 'forbidden');
}

const s002: { tags: string[]; dialect: 's002' } = { tags: ['seed002-settings'], dialect: 's002' };

export const settingsRoutes: Route[] = [
  defineRoute({
    method: 'get', path: '/api/v1/settings/system', operationId: 'getSystemSettings', summary: 'Site, version and the features really configured', ...s002,
    responses: { 200: { description: 'System settings', schema: SystemSettingsSchema } },
    handler: async ({ services, req }) => {
      const auth = authSettingsOf(req);
      return {
        site_name: 'yoloops', site_description: 'YOLO training platform: datasets, annotations, training, models and inference', version: SERVER_VERSION,
        language: DEFAULT_USER_PREFERENCES.language, theme: DEFAULT_USER_PREFERENCES.theme, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        features: {
          gpu_monitoring: (await services.gpu.status()).total_gpus > 0, distributed_training: false, model_registry: true, inference_service: true,
          auth_required: auth.mode === 'required', open_registration: auth.registration === 'open',
        },
        auth_mode: auth.mode,
      };
    },
  }),
  defineRoute({
    method: 'get', path: '/api/v1/settings/storage', operationId: 'getStorageSettings', summary: 'The data root\'s disk use and the upload caps', ...s002,
    responses: { 200: { description: 'Storage settings', schema: StorageSettingsSchema } },
    handler: async ({ services }) => storageSettings(services.system),
  }),
  defineRoute({
    method: 'get', path: '/api/v1/settings/gpu-thresholds', operationId: 'getGpuThresholds', summary: 'GPU alert thresholds (%)', ...s002,
    responses: { 200: { description: 'Stored thresholds (80/95/80/95 until set)', schema: GpuThresholdsSchema } },
    handler: async ({ services }) => services.settings.gpuThresholds(),
  }),
  defineRoute({
    method: 'post', path: '/api/v1/settings/gpu-thresholds', operationId: 'setGpuThresholds', summary: 'Store the GPU alert thresholds (admin)', ...s002, auth: 'admin',
    description: 'As the origin: a field left out takes its default (80/95/80/95). Each is 0–100; a warning level above its critical level is a 422.',
    body: GpuThresholdsUpdateSchema,
    responses: { 200: { description: 'The thresholds now stored', schema: GpuThresholdsSchema }, ...errorResponses(422) },
    handler: async ({ services, body }) => services.settings.setGpuThresholds(body),
  }),
  defineRoute({
    method: 'get', path: '/api/v1/settings/training', operationId: 'getTrainingSettings', summary: 'What new training jobs run with', ...s002,
    responses: { 200: { description: 'Training defaults', schema: TrainingSettingsSchema } },
    handler: async ({ services }) => {
      const defaults = CreateJobRequestSchema.parse({ dataset_id: 'ds_defaults' });
      const { trainerCommand, agentCommand, concurrency } = services.jobs.config();
      return {
        default_learning_rate: null, default_batch_size: defaults.batch, default_epochs: defaults.epochs, default_imgsz: defaults.imgsz, default_model: defaults.model_name,
        max_concurrent_tasks: concurrency, supported_frameworks: ['ultralytics'],
        trainer_command: { train: [...trainerCommand.train], resume: [...trainerCommand.resume] }, agent_command: agentCommand === null ? null : [...agentCommand],
      };
    },
  }),
  defineRoute({
    method: 'get', path: '/api/v1/settings/user', operationId: 'getUserSettings', summary: 'The signed-in user\'s preferences', ...s002,
    responses: { 200: { description: 'Preferences (the defaults until changed)', schema: UserPreferencesSchema }, ...errorResponses(403) },
    handler: async ({ services, res }) => services.settings.userPreferences(preferencesOwner(res)),
  }),
  defineRoute({
    method: 'put', path: '/api/v1/settings/user', operationId: 'updateUserSettings', summary: 'Change the signed-in user\'s preferences', ...s002,
    description: 'Fields sent replace the stored ones; the others keep their value. Unknown fields are a 422.',
    body: UserPreferencesPatchSchema,
    responses: { 200: { description: 'Preferences now stored', schema: UserPreferencesSchema }, ...errorResponses(403, 422) },
    handler: async ({ services, res, body }) => services.settings.updateUserPreferences(preferencesOwner(res), body),
  }),
];
