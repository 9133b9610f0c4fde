import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import { withOutputShapes } from '../../../test/support/onnx-inspect.js';
import { buildFailingDetector } from '../../../test/support/onnx-variants.js';
import { createOnnxOutputProbe } from './onnx-output-probe.js';

const MODEL = fixturePath('models/yolov8n_int8.onnx');
const request = (model: string | Uint8Array, inputDims = [1, 3, 640, 640]) => ({ model, label: 'best.onnx', inputName: 'images', inputDims });

/** Probe processes this process started that are still alive. */
function liveProbeProcesses(): string[] {
  return execFileSync('ps', ['-e', '-o', 'ppid=,pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('onnx-probe-process') && Number(line.trim().split(/\s+/)[0]) === process.pid);
}

describe('createOnnxOutputProbe (real onnxruntime in a child process)', () => {
  const probe = createOnnxOutputProbe();

  test('reads the output dims of the fixture with its output shape removed, from a path and from bytes', async () => {
    const bare = withOutputShapes(readFileSync(MODEL), { output0: undefined });
    await expect(probe.probe(request(MODEL))).resolves.toEqual([{ name: 'output0', dims: [1, 84, 8400] }]);
    await expect(probe.probe(request(bare))).resolves.toEqual([{ name: 'output0', dims: [1, 84, 8400] }]);
    expect(liveProbeProcesses()).toEqual([]);
  });

  test('the event loop stays free while the probe runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await probe.probe(request(MODEL));
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(10);
  });

  test.each([
    { stage: 'load', model: () => buildFailingDetector('load'), want: /^best\.onnx: onnxruntime cannot load it .*NoSuchYoloOp/s },
    { stage: 'run', model: () => buildFailingDetector('run'), want: /^best\.onnx: onnxruntime cannot run it on a \[1, 3, 640, 640\] dummy input .*(reshape|Reshape)/s },
    { stage: 'run', model: () => readFileSync(MODEL), dims: [1, 3, 320, 320], want: /^best\.onnx: onnxruntime cannot run it .*invalid dimensions for input: images/s },
  ])('a model onnxruntime cannot $stage is a validation error naming the file and onnxruntime\'s message', async ({ model, dims, want }) => {
    const error = await probe.probe(request(model(), dims)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', reason: 'onnx_probe_failed', details: { file: 'best.onnx' } });
    expect((error as Error).message).toMatch(want);
  });

  test('a probe past its timeout is stopped: a validation error, and its process is killed', async () => {
    const started = Date.now();
    const error = await createOnnxOutputProbe({ timeoutMs: 100 }).probe(request(MODEL)).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', reason: 'onnx_probe_timeout', message: expect.stringMatching(/^best\.onnx: .*did not finish within 0\.1 s/) });
    for (let i = 0; i < 50 && liveProbeProcesses().length > 0; i++) await new Promise((r) => setTimeout(r, 40));
    expect(liveProbeProcesses()).toEqual([]);
  });

  test('probes beyond maxConcurrent wait their turn; all answer', async () => {
    const one = createOnnxOutputProbe({ maxConcurrent: 1 });
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, liveProbeProcesses().length)), 50);
    try {
      const results = await Promise.all([one.probe(request(MODEL)), one.probe(request(MODEL)), one.probe(request(MODEL))]);
      expect(results).toEqual(Array.from({ length: 3 }, () => [{ name: 'output0', dims: [1, 84, 8400] }]));
    } finally {
      clearInterval(watch);
    }
    expect(peak).toBe(1);
  });
});
