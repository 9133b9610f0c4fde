import { createMemoryLogBus } from '@yoloops/core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonInit, rawRequest } from './support/http.js';
import { expectStreamAcrossReplicas, replicaDataDir, startReplica, stopReplicas, type Replica } from './support/log-replicas.js';

const bus = createMemoryLogBus();
let dataDir: string;
let a: Replica;
let b: Replica;
beforeAll(async () => {
  dataDir = replicaDataDir();
  a = await startReplica(dataDir, bus);
  b = await startReplica(dataDir, bus);
}, 30_000);
afterAll(async () => stopReplicas([a, b], [bus], dataDir));

describe('/logs/stream across replicas (one data root, the in-process log bus)', () => {
  test('lines shipped to replica A reach a stream on replica B in order, none lost or doubled, and the stream ends with the job', async () => {
    await expectStreamAcrossReplicas(a, b, '5ac1f00d5ac1f00d5ac1f00d5ac1f00d');
  });
});

describe('/logs/stream of a job a remote worker runs', () => {
  test('waits past the usual 5 s for the first shipped lines while the worker holds the job, then follows them', async () => {
    const id = '3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e3e';
    await rawRequest(a.url, 'POST', '/api/model/train/notify/status', jsonInit({ trainTaskId: id, statusType: 2 }));
    await a.platform.stores.jobs.update(id, { worker_id: 'gpu-box-1' });
    const res = await request(`${b.url}/logs/stream?job_id=${id}`, { signal: AbortSignal.timeout(30_000) });
    const body = (async () => {
      let text = '';
      for await (const chunk of res.body) text += (chunk as Buffer).toString('utf8');
      return text;
    })();
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await rawRequest(a.url, 'POST', `/api/agent/tasks/${id}/logs`, jsonInit({ attempt: 1, seq: 1, lines: ['dataset downloaded', 'Epoch 1/1'] }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await rawRequest(a.url, 'POST', '/api/model/train/notify/status', jsonInit({ trainTaskId: id, statusType: 3 }));
    const events = (await body).split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
    expect(events).toEqual(['dataset downloaded', 'Epoch 1/1']);
  }, 30_000);
});
