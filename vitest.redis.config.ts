import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** `npm run test:redis`: the tests that need a real redis-server (each starts its own on a free port). */
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['packages/*/src/**/*.redis.test.ts', 'packages/*/test/**/*.redis.test.ts', 'test/**/*.redis.test.ts'], exclude: [] },
});
