import { z } from 'zod';
import type { AppServices } from '../services.js';
import { lookUpVideoTools } from './system.routes.js';

const GIB = 1024 ** 3;
/** Below this much free space the disk check is `low` and the server `degraded`. */
const LOW_DISK_BYTES = GIB;
const gb = (bytes: number) => Math.round((bytes / GIB) * 100) / 100;

const ProgramCheck = z.object({ status: z.enum(['healthy', 'missing']), program: z.string(), path: z.string().nullable().describe('Where it was found (PATH or the configured path); null when not found.') });

export const DetailedHealthSchema = z
  .object({
    status: z.enum(['healthy', 'degraded']),
    timestamp: z.string(),
    checks: z.object({
      database: z.union([
        z.object({
          status: z.literal('healthy'), engine: z.enum(['sqlite', 'postgresql']).describe('Where the metadata lives: SQLite in the data root, or PostgreSQL (YOLOOPS_DATABASE_URL).'),
          version: z.string().describe('The engine\'s version (sqlite_version(), or the PostgreSQL server_version).'), schema_version: z.number().int(), tables: z.number().int(), latency_ms: z.number(),
        }),
        z.object({ status: z.literal('unhealthy'), error: z.string() }),
      ]),
      disk: z.object({ status: z.enum(['healthy', 'low']), path: z.string(), total_gb: z.number(), used_gb: z.number(), free_gb: z.number() }),
      gpu: z.object({ status: z.enum(['healthy', 'unavailable']), total_gpus: z.number().int(), names: z.array(z.string()), unavailable_reason: z.string().optional() }),
      ffmpeg: z.object({ status: z.enum(['healthy', 'unavailable']), path: z.string().nullable(), version: z.string().nullable(), h264: z.boolean() }),
      trainer: ProgramCheck.describe('The program of the training command (YOLOOPS_TRAINER_COMMAND, default `yolo`).'),
      trainer_agent: ProgramCheck.nullable().describe('The trainer agent wrapped around it; null when jobs run without one.'),
    }),
  })
  .meta({ id: 'DetailedHealth' });
type DetailedHealth = z.infer<typeof DetailedHealthSchema>;

async function program(services: AppServices, name: string): Promise<z.infer<typeof ProgramCheck>> {
  const found = await services.system.findProgram(name);
  return { status: found === null ? 'missing' : 'healthy', program: name, path: found };
}

/** Runs every check of `/api/v1/health/detailed` (the database with a real query; ffmpeg as `/health` found it). */
export async function detailedHealth(services: AppServices): Promise<DetailedHealth> {
  const { trainerCommand, agentCommand } = services.jobs.config();
  const [usage, gpus, video, trainer, agent] = await Promise.all([
    services.system.storage(), services.gpu.status(), lookUpVideoTools().catch(() => ({ ffmpeg: null })),
    program(services, trainerCommand.train[0] ?? ''), agentCommand === null ? Promise.resolve(null) : program(services, agentCommand[0] ?? ''),
  ]);
  const database = await services.system.checkDatabase();
  const disk = {
    status: usage.free_bytes < LOW_DISK_BYTES ? ('low' as const) : ('healthy' as const), path: services.system.dataDir,
    total_gb: gb(usage.total_bytes), used_gb: gb(usage.used_bytes), free_gb: gb(usage.free_bytes),
  };
  const checks: DetailedHealth['checks'] = {
    database, disk,
    gpu: {
      status: gpus.total_gpus > 0 ? 'healthy' : 'unavailable', total_gpus: gpus.total_gpus, names: gpus.metrics.map((g) => g.name),
      ...(gpus.unavailable_reason === undefined ? {} : { unavailable_reason: gpus.unavailable_reason }),
    },
    ffmpeg: { status: video.ffmpeg ? 'healthy' : 'unavailable', path: video.ffmpeg?.path ?? null, version: video.ffmpeg?.version ?? null, h264: video.ffmpeg?.h264 ?? false },
    trainer, trainer_agent: agent,
  };
  const healthy = database.status === 'healthy' && disk.status === 'healthy' && trainer.status === 'healthy' && (agent === null || agent.status === 'healthy');
  return { status: healthy ? 'healthy' : 'degraded', timestamp: new Date().toISOString(), checks };
}
