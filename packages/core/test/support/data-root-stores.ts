import path from 'node:path';
import { databaseOptionsFromEnv, openNodeDatabase } from '../../src/adapters/node/node-database.js';
import { createPlatformStores, type PlatformStores } from '../../src/adapters/node/platform-stores.js';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.js';
import { systemClock } from '../../src/platform/clock.port.js';

/**
 * The stores of a data root opened the way `createNodePlatform` opens them: SQLite in `<dataDir>/yoloops.db`,
 * or PostgreSQL when `YOLOOPS_DATABASE_URL` is set (as under `npm run test:postgres`), so a test can look at what a server stored.
 * @example const { stores, close } = await openDataRootStores(server.dataDir); await stores.metrics.listSteps(id); await close();
 */
export async function openDataRootStores(dataDir: string): Promise<{ stores: PlatformStores; close(): Promise<void> }> {
  const database = databaseOptionsFromEnv();
  const postgres = database === undefined ? undefined : await openNodeDatabase(database, dataDir);
  const db = openSqliteDatabase(path.join(dataDir, 'yoloops.db'));
  const stores = createPlatformStores({ db, clock: systemClock, ...(postgres ? { postgres } : {}) });
  return {
    stores,
    async close() {
      db.close();
      await postgres?.close();
    },
  };
}
