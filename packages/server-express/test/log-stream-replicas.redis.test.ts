import { createRedisLogBus } from '@yoloops/core/node';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startTestRedis, type TestRedis } from '../../core/test/support/redis-server.js';
import { expectStreamAcrossReplicas, replicaDataDir, startReplica, stopReplicas, type Replica } from './support/log-replicas.js';

let redis: TestRedis;
let dataDir: string;
let a: Replica;
let b: Replica;
const buses: ReturnType<typeof createRedisLogBus>[] = [];
beforeAll(async () => {
  redis = await startTestRedis();
  dataDir = replicaDataDir();
  buses.push(createRedisLogBus({ url: redis.url }), createRedisLogBus({ url: redis.url }));
  a = await startReplica(dataDir, buses[0]!);
  b = await startReplica(dataDir, buses[1]!);
}, 30_000);
afterAll(async () => {
  await stopReplicas([a, b], buses, dataDir);
  await redis?.close();
});

describe('/logs/stream across replicas on Redis pub/sub (each replica its own connections)', () => {
  test('lines shipped to replica A reach a stream on replica B in order, none lost or doubled', async () => {
    await expectStreamAcrossReplicas(a, b, '7ed157ed7ed157ed7ed157ed7ed157ed');
  });
});
