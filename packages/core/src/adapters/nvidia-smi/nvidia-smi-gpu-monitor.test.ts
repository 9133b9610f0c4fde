import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { writeFakeNvidiaSmi, type FakeNvidiaSmi } from '../../../../../test/support/nvidia-smi.js';
import { createNvidiaSmiGpuMonitor } from './nvidia-smi-gpu-monitor.js';

const fakes: FakeNvidiaSmi[] = [];
const fake = (options: Parameters<typeof writeFakeNvidiaSmi>[0] = {}) => {
  const f = writeFakeNvidiaSmi(options);
  fakes.push(f);
  return f;
};
afterEach(() => fakes.splice(0).forEach((f) => f.remove()));

describe('createNvidiaSmiGpuMonitor', () => {
  test('reads two GPUs from nvidia-smi found on PATH, asking for the documented fields as argv', async () => {
    const smi = fake();
    const reading = await createNvidiaSmiGpuMonitor({ env: { PATH: `${smi.dir}${path.delimiter}/usr/bin:/bin` } }).read();
    expect(reading).toMatchObject({ source: 'nvidia-smi', sampled_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(reading).not.toHaveProperty('unavailable_reason');
    expect(reading.gpus.map((g) => [g.name, g.memory_total_mb, g.power_draw_watts])).toEqual([['NVIDIA A100-SXM4-80GB', 81920, 312.45], ['NVIDIA GeForce RTX 4090', 24564, null]]);
    expect(smi.calls()).toEqual([
      '--query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw,power.limit --format=csv,noheader,nounits',
    ]);
  });

  test('two reads within a second run nvidia-smi once; concurrent reads share the run; a later read runs again', async () => {
    const smi = fake({ sleepS: 0.3 });
    const monitor = createNvidiaSmiGpuMonitor({ nvidiaSmi: smi.program, cacheMs: 1000 });
    const [a, b] = await Promise.all([monitor.read(), monitor.read()]);
    const c = await monitor.read();
    expect(smi.runs()).toBe(1);
    expect(b).toBe(a);
    expect(c).toBe(a);
    const quick = createNvidiaSmiGpuMonitor({ nvidiaSmi: smi.program, cacheMs: 50 });
    await quick.read();
    await new Promise((r) => setTimeout(r, 100));
    await quick.read();
    expect(smi.runs()).toBe(3);
  });

  test('no nvidia-smi on PATH: no GPU and the reason, never invented numbers', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'yoloops-empty-path-'));
    try {
      expect(await createNvidiaSmiGpuMonitor({ env: { PATH: empty } }).read()).toStrictEqual({
        gpus: [], source: null, unavailable_reason: 'nvidia-smi was not found on PATH (no NVIDIA driver on this machine?)', sampled_at: expect.any(String),
      });
      const missing = path.join(empty, 'bin', 'nvidia-smi');
      expect((await createNvidiaSmiGpuMonitor({ nvidiaSmi: missing }).read()).unavailable_reason).toBe(`${missing} was not found (no NVIDIA driver on this machine?)`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('a failing nvidia-smi: no GPU, the exit code and its last message', async () => {
    const smi = fake({ stdout: '', stderr: 'NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n', exitCode: 9 });
    const reading = await createNvidiaSmiGpuMonitor({ nvidiaSmi: smi.program }).read();
    expect(reading.gpus).toEqual([]);
    expect(reading.unavailable_reason).toBe(`${smi.program} exited with code 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.`);
  });

  test('"No devices were found" (exit 6): no GPU, said so', async () => {
    const smi = fake({ stdout: 'No devices were found\n', exitCode: 6 });
    expect(await createNvidiaSmiGpuMonitor({ nvidiaSmi: smi.program }).read()).toMatchObject({
      gpus: [], source: 'nvidia-smi', unavailable_reason: `${smi.program} found no GPU ("No devices were found")`,
    });
  });

  test('output that is not the CSV asked for: no GPU and what could not be read', async () => {
    const smi = fake({ stdout: 'Mon Jan  1 00:00:00 2026\n+------+\n' });
    expect((await createNvidiaSmiGpuMonitor({ nvidiaSmi: smi.program }).read()).unavailable_reason).toMatch(/could not read .*output: nvidia-smi line 1 has 1 fields/);
  });

  test('an nvidia-smi that hangs is killed after the timeout', async () => {
    const smi = fake({ sleepS: 30 });
    const started = Date.now();
    const reading = await createNvidiaSmiGpuMonitor({ nvidiaSmi: smi.program, timeoutMs: 300 }).read();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(reading).toMatchObject({ gpus: [], unavailable_reason: `${smi.program} did not answer within 0.3 s` });
  });
});
