import type { GpuDevice, GpuMonitor, GpuSnapshot } from '../../gpu/gpu-monitor.port.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';

/**
 * `GpuMonitor` over GPUs set in code (tests, machines whose GPUs come from elsewhere); `set([])` with a
 * reason reads as a machine without GPUs. Counts its readings.
 * @example const gpus = createMemoryGpuMonitor([{ index: 0, name: 'NVIDIA A100-SXM4-80GB', … }]);
 */
export function createMemoryGpuMonitor(initial: GpuDevice[] = [], clock: Clock = systemClock) {
  let gpus = initial;
  let reason: string | undefined = initial.length === 0 ? 'no GPU set' : undefined;
  let reads = 0;
  const monitor: GpuMonitor & { set(next: GpuDevice[], unavailableReason?: string): void; readonly reads: number } = {
    async read(): Promise<GpuSnapshot> {
      reads += 1;
      const sampled_at = clock.now().toISOString();
      return gpus.length === 0
        ? { gpus: [], source: null, unavailable_reason: reason ?? 'no GPU set', sampled_at }
        : { gpus: gpus.map((g) => ({ ...g })), source: 'nvidia-smi', sampled_at };
    },
    set(next, unavailableReason) {
      gpus = next;
      reason = unavailableReason;
    },
    get reads() {
      return reads;
    },
  };
  return monitor;
}
