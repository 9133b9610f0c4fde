import type { SystemProbe } from '@yoloops/core/node';
import { z } from 'zod';

const GIB = 1024 ** 3;
const gb = (bytes: number) => Math.round((bytes / GIB) * 100) / 100;

export const StorageSettingsSchema = z
  .object({
    max_dataset_size_gb: z.number().describe('Largest dataset upload (YOLOOPS upload limit), GiB.'),
    max_model_size_gb: z.number().describe('Largest model ZIP upload, GiB.'),
    default_storage_path: z.string().describe('The data root (datasets, models, jobs, database).'),
    used_storage_gb: z.number().describe('Used space of the data root\'s filesystem, GiB (statfs).'),
    total_storage_gb: z.number(),
    free_storage_gb: z.number().describe('Space this server may still write, GiB.'),
    data_dir_used_gb: z.number().describe('What yoloops\'s own files take, GiB.'),
    total_bytes: z.number().int(), used_bytes: z.number().int(), free_bytes: z.number().int(),
    data_dir_bytes: z.number().int().describe('Sum of the file sizes under the data root.'),
    data_dir_measured_at: z.string().describe('When the data root was last measured (kept 30 s).'),
    max_dataset_size_bytes: z.number().int(), max_model_size_bytes: z.number().int(),
  })
  .meta({ id: 'StorageSettings' });

/** `/settings/storage`: the origin's GB fields from real statfs numbers, plus the bytes they come from. */
export async function storageSettings(system: SystemProbe): Promise<z.infer<typeof StorageSettingsSchema>> {
  const usage = await system.storage();
  return {
    max_dataset_size_gb: gb(system.limits.maxDatasetUploadBytes), max_model_size_gb: gb(system.limits.maxModelUploadBytes), default_storage_path: system.dataDir,
    used_storage_gb: gb(usage.used_bytes), total_storage_gb: gb(usage.total_bytes), free_storage_gb: gb(usage.free_bytes), data_dir_used_gb: gb(usage.data_dir_bytes),
    total_bytes: usage.total_bytes, used_bytes: usage.used_bytes, free_bytes: usage.free_bytes, data_dir_bytes: usage.data_dir_bytes, data_dir_measured_at: usage.data_dir_measured_at,
    max_dataset_size_bytes: system.limits.maxDatasetUploadBytes, max_model_size_bytes: system.limits.maxModelUploadBytes,
  };
}
