import { createPostgresLogBus, openPostgresDatabase } from '@yoloops/core/node';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { expectStreamAcrossReplicas, replicaDataDir, startReplica, stopReplicas, type Replica } from './support/log-replicas.js';

const url = process.env.YOLOOPS_TEST_POSTGRES_URL;
if (url === undefined || url === '') throw new Error('YOLOOPS_TEST_POSTGRES_URL is not set: point it at a PostgreSQL server (npm run test:postgres)');
const channel = `yoloops_logs_replicas_${process.pid}`;
let dataDir: string;
let a: Replica;
let b: Replica;
let pool: Awaited<ReturnType<typeof openPostgresDatabase>>;
const buses: ReturnType<typeof createPostgresLogBus>[] = [];
beforeAll(async () => {
  pool = await openPostgresDatabase(url, { schema: `h6_${process.pid}` });
  // Replica A notifies through a pool, B through its own client: NOTIFY carries a pointer, B reads the shared log.
  buses.push(createPostgresLogBus({ url, channel, db: pool }), createPostgresLogBus({ url, channel }));
  dataDir = replicaDataDir();
  a = await startReplica(dataDir, buses[0]!);
  b = await startReplica(dataDir, buses[1]!);
}, 30_000);
afterAll(async () => {
  await stopReplicas([a, b], buses, dataDir);
  await pool?.query(`DROP SCHEMA IF EXISTS h6_${process.pid} CASCADE`);
  await pool?.close();
});

describe('/logs/stream across replicas on PostgreSQL LISTEN/NOTIFY', () => {
  test('lines shipped to replica A reach a stream on replica B in order, none lost or doubled', async () => {
    await expectStreamAcrossReplicas(a, b, '9a9e59a99a9e59a99a9e59a99a9e59a9');
  });
});
