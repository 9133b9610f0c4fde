import { afterEach, describe, expect, test } from 'vitest';
import { createMemoryGpuMonitor } from '../adapters/memory/memory-gpu-monitor.js';
import type { Clock } from '../platform/clock.port.js';
import type { GpuDevice } from './gpu-monitor.port.js';
import { createGpuService, summarizeGpus } from './gpu-service.js';

const gpu = (index: number, over: Partial<GpuDevice> = {}): GpuDevice => ({
  index, name: `GPU ${index}`, uuid: `GPU-${index}`, memory_total_mb: 1000, memory_used_mb: 100 * (index + 1), utilization_percent: 10 * (index + 1),
  temperature_c: 40, power_draw_watts: 50, power_limit_watts: 300, ...over,
});

/** A clock the test moves. */
function manualClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  const clock: Clock & { advance(ms: number): void } = { now: () => new Date(now), advance: (ms) => (now += ms) };
  return clock;
}

const services: { stop(): void }[] = [];
afterEach(() => services.splice(0).forEach((s) => s.stop()));

describe('summarizeGpus', () => {
  test('totals and averages over the values reported; null values are left out of the average', () => {
    const status = summarizeGpus({ gpus: [gpu(0), gpu(1, { utilization_percent: null, memory_total_mb: null })], source: 'nvidia-smi', sampled_at: 'T' });
    expect(status).toMatchObject({ total_gpus: 2, total_memory_mb: 1000, used_memory_mb: 300, avg_utilization: 10, source: 'nvidia-smi', sampled_at: 'T' });
    expect(status.metrics[1]).toStrictEqual({
      gpu_id: 1, name: 'GPU 1', uuid: 'GPU-1', total_memory_mb: null, used_memory_mb: 200, utilization_percent: null, temperature_c: 40, power_watts: 50, power_limit_watts: 300,
    });
    expect(status).not.toHaveProperty('unavailable_reason');
  });

  test('no GPU: zeros, no metrics and the reason; GPUs reporting no utilization: a null average', () => {
    expect(summarizeGpus({ gpus: [], source: null, unavailable_reason: 'nvidia-smi was not found', sampled_at: 'T' })).toStrictEqual({
      total_gpus: 0, total_memory_mb: 0, used_memory_mb: 0, avg_utilization: 0, metrics: [], source: null, unavailable_reason: 'nvidia-smi was not found', sampled_at: 'T',
    });
    expect(summarizeGpus({ gpus: [gpu(0, { utilization_percent: null })], source: 'nvidia-smi', sampled_at: 'T' }).avg_utilization).toBeNull();
  });
});

describe('createGpuService history', () => {
  test('keeps one point per GPU per sample for historyMinutes, and answers the last n minutes', async () => {
    const clock = manualClock();
    const monitor = createMemoryGpuMonitor([gpu(0), gpu(1)], clock);
    const service = createGpuService({ monitor, clock, sampleIntervalMs: 60_000, historyMinutes: 3 });
    for (let i = 0; i < 5; i++) {
      monitor.set([gpu(0, { utilization_percent: i }), gpu(1, { utilization_percent: 50 + i })]);
      await service.sample();
      clock.advance(60_000);
    }
    // 3 minutes at one sample a minute: the last 3 samples survive (i = 2, 3, 4), 2 GPUs each
    clock.advance(-60_000);
    const all = service.history(60);
    expect(all.map((p) => [p.gpu_id, p.utilization])).toEqual([[0, 2], [1, 52], [0, 3], [1, 53], [0, 4], [1, 54]]);
    expect(all[0]).toStrictEqual({
      timestamp: Date.parse('2026-01-01T00:02:00Z') / 1000, sampled_at: '2026-01-01T00:02:00.000Z', gpu_id: 0, utilization: 2, memory_mb: 100, temperature_c: 40, power_watts: 50,
    });
    expect(service.history(1).map((p) => p.utilization)).toEqual([3, 53, 4, 54]);
  });

  test('a sample finding no GPU records nothing', async () => {
    const clock = manualClock();
    const monitor = createMemoryGpuMonitor([], clock);
    const service = createGpuService({ monitor, clock });
    await service.sample();
    expect(service.history(10)).toEqual([]);
  });

  test('start samples on its interval only when GPUs exist, and stop ends it', async () => {
    const withGpus = createMemoryGpuMonitor([gpu(0)]);
    const sampling = createGpuService({ monitor: withGpus, clock: { now: () => new Date() }, sampleIntervalMs: 100 });
    services.push(sampling);
    await sampling.start();
    expect(sampling.sampling()).toBe(true);
    await new Promise((r) => setTimeout(r, 450));
    const taken = sampling.history(10).length;
    expect(taken).toBeGreaterThanOrEqual(3);
    sampling.stop();
    expect(sampling.sampling()).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect(sampling.history(10).length).toBe(taken);

    const none = createMemoryGpuMonitor([]);
    const idle = createGpuService({ monitor: none, clock: { now: () => new Date() }, sampleIntervalMs: 100 });
    services.push(idle);
    await idle.start();
    expect(idle.sampling()).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect(none.reads).toBe(1);
  });

  test('stop before the first reading ends keeps the sampler off', async () => {
    const service = createGpuService({ monitor: createMemoryGpuMonitor([gpu(0)]), clock: { now: () => new Date() }, sampleIntervalMs: 100 });
    const started = service.start();
    service.stop();
    await started;
    expect(service.sampling()).toBe(false);
  });

  test('an interval under 100 ms or a history outside 1–1440 minutes is refused', () => {
    const monitor = createMemoryGpuMonitor();
    const clock = manualClock();
    expect(() => createGpuService({ monitor, clock, sampleIntervalMs: 10 })).toThrow(/at least 100 ms/);
    expect(() => createGpuService({ monitor, clock, sampleIntervalMs: Number.NaN })).toThrow(/at least 100 ms/);
    expect(() => createGpuService({ monitor, clock, historyMinutes: 0 })).toThrow(/1–1440/);
    expect(() => createGpuService({ monitor, clock, historyMinutes: 1441 })).toThrow(/1–1440/);
  });
});
