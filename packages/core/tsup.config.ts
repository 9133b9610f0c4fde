import { defineConfig } from 'tsup';

export default defineConfig({
  // the onnx session worker is loaded by path (new Worker), so it is an entry of its own, next to adapters/node/index.js
  entry: ['src/index.ts', 'src/adapters/node/index.ts', 'src/adapters/node/onnx-session-worker.ts', 'src/testing/index.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
});
