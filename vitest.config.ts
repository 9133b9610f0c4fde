import { configDefaults, defineConfig } from 'vitest/config';

/** Tests run on TypeScript source through the `source` export condition of each workspace package. */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests that need a real PostgreSQL or Redis server run in `npm run test:postgres` / `npm run test:redis`.
    exclude: [...configDefaults.exclude, '**/*.postgres.test.ts', '**/*.redis.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
