import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** `npm run test:postgres` (a): the tests that need a real PostgreSQL server (YOLOOPS_TEST_POSTGRES_URL). */
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['packages/*/src/**/*.postgres.test.ts', 'packages/*/test/**/*.postgres.test.ts', 'test/**/*.postgres.test.ts'], exclude: [] },
});
