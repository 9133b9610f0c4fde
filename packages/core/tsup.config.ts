import { defineConfig } from 'tsup';

export default defineConfig({
  // the onnx session worker (new Worker) and the output-shape probe process (fork) are loaded by path relative to
  // the bundle that starts them (adapters/node/index.js), so each is an entry of its own written next to it; the
  // contract suites live under test/support but ship as `@yoloops/core/testing`
  entry: {
    index: 'src/index.ts',
    'adapters/node/index': 'src/adapters/node/index.ts',
    'adapters/node/onnx-session-worker': 'src/adapters/onnxruntime/onnx-session-worker.ts',
    'adapters/node/onnx-probe-process': 'src/adapters/onnxruntime/onnx-probe-process.ts',
    'testing/index': 'test/support/contracts/index.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
});
