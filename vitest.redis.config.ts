import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:redis`: the tests that need a real redis-server (each starts its own on a free port). One file at a
 * time: they start whole clusters of processes (servers, workers, trainers) whose timing two busy cores would skew.
 */
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['packages/*/src/**/*.redis.test.ts', 'packages/*/test/**/*.redis.test.ts', 'test/**/*.redis.test.ts'], exclude: [], fileParallelism: false },
});
