import { beforeEach, describe, expect, test } from 'vitest';
import type { WorkerStore } from '../../../src/workers/worker-store.port.js';
import type { WorkerRecord } from '../../../src/workers/worker.schema.js';

const worker = (id: string, extra: Partial<WorkerRecord> = {}): WorkerRecord => ({
  worker_id: id, labels: { gpu: 'a100' }, hostname: 'gpu-1', concurrency: 2, version: '0.1.0',
  jobs: [{ job_id: 'job_1', attempt: 2 }], gpus: [], last_heartbeat: '2026-01-01T00:00:10.000Z', ...extra,
});

/**
 * Behaviour every `WorkerStore` adapter must show; each test gets a fresh, empty store from `factory`.
 * @example describeWorkerStoreContract('memory', () => createMemoryWorkerStore());
 */
export function describeWorkerStoreContract(name: string, factory: () => Promise<WorkerStore> | WorkerStore): void {
  describe(`${name}: WorkerStore contract`, () => {
    let store: WorkerStore;
    beforeEach(async () => {
      store = await factory();
    });

    test('a heartbeat stores the record; the next one replaces it whole', async () => {
      expect(await store.get('w1')).toBeUndefined();
      await store.heartbeat(worker('w1'));
      expect(await store.get('w1')).toStrictEqual(worker('w1'));
      await store.heartbeat(worker('w1', { jobs: [], labels: {}, last_heartbeat: '2026-01-01T00:00:12.000Z' }));
      expect(await store.get('w1')).toStrictEqual(worker('w1', { jobs: [], labels: {}, last_heartbeat: '2026-01-01T00:00:12.000Z' }));
    });

    test('lists every worker by id and hands out copies', async () => {
      await store.heartbeat(worker('w2'));
      await store.heartbeat(worker('w1'));
      const listed = await store.list();
      expect(listed.map((w) => w.worker_id)).toEqual(['w1', 'w2']);
      listed[0]!.labels.gpu = 'changed';
      expect((await store.get('w1'))?.labels).toStrictEqual({ gpu: 'a100' });
    });

    test('forgets only workers silent since before the given time', async () => {
      await store.heartbeat(worker('old', { last_heartbeat: '2026-01-01T00:00:00.000Z' }));
      await store.heartbeat(worker('new', { last_heartbeat: '2026-01-02T00:00:00.000Z' }));
      expect(await store.forgetStaleAfter('2026-01-01T12:00:00.000Z')).toBe(1);
      expect((await store.list()).map((w) => w.worker_id)).toEqual(['new']);
      expect(await store.forgetStaleAfter('2026-01-01T12:00:00.000Z')).toBe(0);
    });
  });
}
