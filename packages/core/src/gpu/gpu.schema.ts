import { z } from 'zod';

const nullableNumber = (text: string) => z.number().nullable().describe(text);

/** One GPU of `GET /api/v1/gpu` (the origin's fields, plus uuid and power limit). */
export const GpuMetricSchema = z
  .object({
    gpu_id: z.number().int().describe('nvidia-smi index.'),
    name: z.string(),
    uuid: z.string().nullable(),
    total_memory_mb: nullableNumber('MiB; null when the driver does not report it.'),
    used_memory_mb: nullableNumber('MiB.'),
    utilization_percent: nullableNumber('GPU utilization, %.'),
    temperature_c: nullableNumber('°C.'),
    power_watts: nullableNumber('Power draw, W ([N/A] on many boards → null).'),
    power_limit_watts: nullableNumber('Power limit, W.'),
  })
  .meta({ id: 'GpuMetric' });
export type GpuMetric = z.infer<typeof GpuMetricSchema>;

/** `GET /api/v1/gpu`: the machine's real GPUs, or none with the reason. */
export const GpuStatusSchema = z
  .object({
    total_gpus: z.number().int(),
    total_memory_mb: z.number().describe('Sum over the GPUs that report memory.'),
    used_memory_mb: z.number(),
    avg_utilization: z.number().nullable().describe('Mean utilization, %, over the GPUs that report it (0 with no GPU; null when none reports it).'),
    metrics: z.array(GpuMetricSchema),
    source: z.enum(['nvidia-smi']).nullable().describe('The tool that answered; null when none did.'),
    unavailable_reason: z.string().optional().describe('Why no GPU is listed: nvidia-smi missing, failing, timing out, or finding no device.'),
    sampled_at: z.string().describe('ISO time of the reading (readings are cached for one second).'),
  })
  .meta({ id: 'GpuStatus' });
export type GpuStatus = z.infer<typeof GpuStatusSchema>;

/** One GPU at one sampling instant of `GET /api/v1/gpu/history` (the origin's `{timestamp, utilization, memory_mb}` and more). */
export const GpuHistoryPointSchema = z
  .object({
    timestamp: z.number().describe('Unix time in seconds, as the origin.'),
    sampled_at: z.string().describe('The same instant, ISO.'),
    gpu_id: z.number().int(),
    utilization: z.number().nullable().describe('%.'),
    memory_mb: z.number().nullable().describe('Used memory, MiB.'),
    temperature_c: z.number().nullable(),
    power_watts: z.number().nullable(),
  })
  .meta({ id: 'GpuHistoryPoint' });
export type GpuHistoryPoint = z.infer<typeof GpuHistoryPointSchema>;
