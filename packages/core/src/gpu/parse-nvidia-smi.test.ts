import { describe, expect, test } from 'vitest';
import { TWO_GPUS_CSV } from '../../../../test/support/nvidia-smi.js';
import type { GpuDevice } from './gpu-monitor.port.js';
import { parseNvidiaSmiCsv } from './parse-nvidia-smi.js';

const a100: GpuDevice = {
  index: 0, name: 'NVIDIA A100-SXM4-80GB', uuid: 'GPU-5f1c2b7e-8a3d-4c1e-9b2a-6d7e8f901234', memory_total_mb: 81920, memory_used_mb: 40517,
  utilization_percent: 97, temperature_c: 64, power_draw_watts: 312.45, power_limit_watts: 400,
};

describe('parseNvidiaSmiCsv', () => {
  test('reads the captured two-GPU output; [N/A] power is null', () => {
    expect(parseNvidiaSmiCsv(TWO_GPUS_CSV)).toStrictEqual([
      a100,
      {
        index: 1, name: 'NVIDIA GeForce RTX 4090', uuid: 'GPU-0a1b2c3d-4e5f-4789-abcd-ef0123456789', memory_total_mb: 24564, memory_used_mb: 1093,
        utilization_percent: 3, temperature_c: 35, power_draw_watts: null, power_limit_watts: 450,
      },
    ]);
  });

  const cases: { given: string; want: Partial<GpuDevice> }[] = [
    { given: '0, Tesla T4, GPU-1, 15360, 0, [Not Supported], 40, 27.50, 70.00', want: { utilization_percent: null, power_draw_watts: 27.5 } },
    { given: '0, Tesla T4, GPU-1, 15360, 0, 0, N/A, [Unknown Error], [N/A]', want: { temperature_c: null, power_draw_watts: null, power_limit_watts: null } },
    { given: '0, NVIDIA Graphics Device, [N/A], [N/A], [N/A], 5, 40, 1, 2', want: { uuid: null, memory_total_mb: null, memory_used_mb: null } },
    { given: '3, Weird, Name, With Commas, GPU-3, 100, 50, 1, 2, 3, 4', want: { index: 3, name: 'Weird, Name, With Commas', uuid: 'GPU-3', memory_total_mb: 100, power_limit_watts: 4 } },
    { given: '\r\n0, A, GPU-0, 1, 1, 1, 1, 1, 1\r\n\r\n', want: { index: 0, name: 'A' } },
  ];
  test.each(cases)('$given', ({ given, want }) => {
    expect(parseNvidiaSmiCsv(given)[0]).toMatchObject(want);
  });

  test('empty output lists no GPU', () => {
    expect(parseNvidiaSmiCsv('\n')).toEqual([]);
  });

  test('a short line, a bad index or a non-number is a ValidationError naming the line', () => {
    for (const [text, message] of [
      ['0, A, GPU-0, 1, 1', /line 1 has 5 fields/],
      ['0, A, GPU-0, 1, 1, 1, 1, 1, 1\nx, B, GPU-1, 1, 1, 1, 1, 1, 1', /line 2: index is "x"/],
      ['0, A, GPU-0, lots, 1, 1, 1, 1, 1', /line 1: memory.total is "lots"/],
    ] as const) {
      expect(() => parseNvidiaSmiCsv(text)).toThrow(message);
      expect(() => parseNvidiaSmiCsv(text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});
