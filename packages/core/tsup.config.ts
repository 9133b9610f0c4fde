import { defineConfig } from 'tsup';

export default defineConfig({
  // the onnx session worker (new Worker) and the output-shape probe process (fork) are loaded by path, so each is
  // an entry of its own, next to adapters/node/index.js
  entry: ['src/index.ts', 'src/adapters/node/index.ts', 'src/adapters/node/onnx-session-worker.ts', 'src/adapters/node/onnx-probe-process.ts', 'src/testing/index.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
});
