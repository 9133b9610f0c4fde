import { ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { createRingBuffer } from '../platform/ring-buffer.js';
import type { GpuDevice, GpuMonitor, GpuSnapshot } from './gpu-monitor.port.js';
import type { GpuHistoryPoint, GpuStatus } from './gpu.schema.js';

export interface GpuServiceDeps {
  monitor: GpuMonitor;
  clock: Clock;
  /** Time between history samples (default 10 s, as the origin's points; at least 100 ms). */
  sampleIntervalMs?: number;
  /** How far back the history reaches (default 60 min; 1–1440). */
  historyMinutes?: number;
}

const sum = (values: readonly (number | null)[]) => values.reduce<number>((acc, v) => acc + (v ?? 0), 0);

/** The `GET /api/v1/gpu` answer for a reading: per-GPU metrics and totals over the values reported. */
export function summarizeGpus(snapshot: GpuSnapshot): GpuStatus {
  const { gpus } = snapshot;
  const utilizations = gpus.map((g) => g.utilization_percent).filter((u): u is number => u !== null);
  const avg = gpus.length === 0 ? 0 : utilizations.length === 0 ? null : Math.round((sum(utilizations) / utilizations.length) * 100) / 100;
  return {
    total_gpus: gpus.length,
    total_memory_mb: sum(gpus.map((g) => g.memory_total_mb)),
    used_memory_mb: sum(gpus.map((g) => g.memory_used_mb)),
    avg_utilization: avg,
    metrics: gpus.map((g) => ({
      gpu_id: g.index, name: g.name, uuid: g.uuid, total_memory_mb: g.memory_total_mb, used_memory_mb: g.memory_used_mb,
      utilization_percent: g.utilization_percent, temperature_c: g.temperature_c, power_watts: g.power_draw_watts, power_limit_watts: g.power_limit_watts,
    })),
    source: snapshot.source,
    ...(snapshot.unavailable_reason === undefined ? {} : { unavailable_reason: snapshot.unavailable_reason }),
    sampled_at: snapshot.sampled_at,
  };
}

interface Sample {
  at: number;
  iso: string;
  gpus: GpuDevice[];
}

/**
 * GPU status and history: `status()` reads the monitor (which caches a second); `start()` takes a
 * first sample and, only when it found a GPU, keeps sampling every interval into a ring buffer
 * holding `historyMinutes` (an unref'd timer: it never keeps the process alive); `stop()` ends it.
 * @example
 * const gpu = createGpuService({ monitor: createNvidiaSmiGpuMonitor(), clock: systemClock });
 * await gpu.start();
 * gpu.history(10); // the last ten minutes, one point per GPU per sample
 */
export function createGpuService(deps: GpuServiceDeps) {
  const intervalMs = deps.sampleIntervalMs ?? 10_000;
  const historyMinutes = deps.historyMinutes ?? 60;
  if (!Number.isFinite(intervalMs) || intervalMs < 100) throw new ValidationError(`GPU sample interval must be at least 100 ms (got ${intervalMs})`, { reason: 'invalid_gpu_options' });
  if (!Number.isSafeInteger(historyMinutes) || historyMinutes < 1 || historyMinutes > 1440) {
    throw new ValidationError(`GPU history must keep 1–1440 minutes (got ${historyMinutes})`, { reason: 'invalid_gpu_options' });
  }
  const ring = createRingBuffer<Sample>(Math.ceil((historyMinutes * 60_000) / intervalMs));
  let timer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  /** Reads once and records the GPUs found (a reading without GPUs records nothing); returns the reading. */
  async function sample(): Promise<GpuSnapshot> {
    const snapshot = await deps.monitor.read();
    if (snapshot.gpus.length > 0) ring.push({ at: Date.parse(snapshot.sampled_at), iso: snapshot.sampled_at, gpus: snapshot.gpus });
    return snapshot;
  }

  return {
    status: async (): Promise<GpuStatus> => summarizeGpus(await deps.monitor.read()),
    /** Points of the last `minutes` (oldest first), one per GPU per sample. */
    history(minutes: number): GpuHistoryPoint[] {
      const since = deps.clock.now().getTime() - minutes * 60_000;
      return ring.toArray().filter((s) => s.at >= since).flatMap((s) => s.gpus.map((g) => ({
        timestamp: s.at / 1000, sampled_at: s.iso, gpu_id: g.index, utilization: g.utilization_percent, memory_mb: g.memory_used_mb,
        temperature_c: g.temperature_c, power_watts: g.power_draw_watts,
      })));
    },
    sample,
    async start(): Promise<void> {
      if (timer !== undefined || stopped) return;
      const first = await sample().catch(() => undefined);
      if (stopped || timer !== undefined || first === undefined || first.gpus.length === 0) return;
      timer = setInterval(() => void sample().catch(() => undefined), Math.round(intervalMs));
      timer.unref();
    },
    /** Whether the history sampler runs (it does only when GPUs were found at start). */
    sampling: () => timer !== undefined,
    stop(): void {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}

export type GpuService = ReturnType<typeof createGpuService>;
