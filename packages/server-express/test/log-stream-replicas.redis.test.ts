import { createRedisLogBus } from '@yoloops/core/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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

describe('/logs/stream across replicas while Redis restarts', () => {
  test('batches shipped while Redis is down are stored at once and still reach the stream (from the stored log); none lost or doubled', async () => {
    await expectStreamAcrossReplicas(a, b, '6ad16ad16ad16ad16ad16ad16ad16ad1', async (seq) => {
      if (seq === 20) await redis.stop();
      if (seq === 40) await redis.start();
    });
  });
});

describe('/logs/stream across replicas in dispatch mode (the platform puts the log bus on the dispatch Redis)', () => {
  test('two platforms started with only the Redis URL share the stream', async () => {
    const root = replicaDataDir();
    const [c, d] = [await startReplica(root, undefined, redis.url), await startReplica(root, undefined, redis.url)];
    // A third party on the same Redis hears each stored batch: the platforms publish there, not in-process.
    const probe = createRedisLogBus({ url: redis.url });
    const heard: unknown[] = [];
    const id = '8d158d158d158d158d158d158d158d15';
    await probe.subscribe(id, (m) => heard.push(m));
    try {
      await expectStreamAcrossReplicas(c, d, id);
      expect(heard).toHaveLength(60);
    } finally {
      await stopReplicas([c, d], [probe], root);
    }
  });
});
