import { beforeEach, describe, expect, test } from 'vitest';
import type { MetricStore } from '../../../src/jobs/metric-store.port.js';

const at = (n: number) => ({ attempt: 1, recorded_at: `2024-01-15T12:00:0${n}.000Z` });
const values = (epoch: number) => ({ 'train/box_loss': 1 / epoch, 'metrics/mAP50(B)': epoch / 10, 'lr/pg0': 0.00001 });

/**
 * Behaviour every `MetricStore` adapter must show; each test gets a fresh store from `factory`.
 * @example describeMetricStoreContract('memory', () => createMemoryMetricStore());
 */
export function describeMetricStoreContract(name: string, factory: () => Promise<MetricStore> | MetricStore): void {
  describe(`${name}: MetricStore contract`, () => {
    let store: MetricStore;
    beforeEach(async () => {
      store = await factory();
    });

    test('lists epochs sorted by epoch whatever the arrival order, within an inclusive range', async () => {
      for (const epoch of [3, 1, 7, 2, 0]) await store.upsertEpoch('job_1', epoch, values(epoch || 1), at(epoch));
      await store.upsertEpoch('job_2', 5, { loss: 1 }, at(5));
      expect((await store.listEpochs('job_1')).map((r) => r.epoch)).toEqual([0, 1, 2, 3, 7]);
      expect((await store.listEpochs('job_1', { start: 2, end: 3 })).map((r) => r.epoch)).toEqual([2, 3]);
      expect((await store.listEpochs('job_1', { start: 4 })).map((r) => r.epoch)).toEqual([7]);
      expect((await store.listEpochs('job_1', { end: 0 })).map((r) => r.epoch)).toEqual([0]);
      expect(await store.listEpochs('job_missing')).toEqual([]);
      expect((await store.listEpochs('job_1'))[3]).toStrictEqual({ epoch: 3, metrics: values(3), attempt: 1, recorded_at: at(3).recorded_at });
    });

    test('the same epoch sent again is stored once; a later attempt replaces it, an older attempt does not', async () => {
      expect(await store.upsertEpoch('job_1', 5, { loss: 1 }, at(1))).toBe(true);
      expect(await store.upsertEpoch('job_1', 5, { loss: 1 }, at(1))).toBe(true);
      expect(await store.listEpochs('job_1')).toStrictEqual([{ epoch: 5, metrics: { loss: 1 }, attempt: 1, recorded_at: at(1).recorded_at }]);
      expect(await store.upsertEpoch('job_1', 5, { loss: 0.5, map: 0.2 }, { attempt: 2, recorded_at: 'T2' })).toBe(true);
      expect(await store.upsertEpoch('job_1', 5, { loss: 9 }, { attempt: 1, recorded_at: 'T3' })).toBe(false);
      expect(await store.listEpochs('job_1')).toStrictEqual([{ epoch: 5, metrics: { loss: 0.5, map: 0.2 }, attempt: 2, recorded_at: 'T2' }]);
    });

    test('50 concurrent upserts of one epoch leave exactly one row', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.upsertEpoch('job_1', 1, { loss: i }, { attempt: 1 + (i % 3), recorded_at: `T${i}` })));
      const rows = await store.listEpochs('job_1');
      expect(rows).toHaveLength(1);
      expect(rows[0]?.attempt).toBe(3);
    });

    test('NaN and ±Infinity are stored as null and flagged; null stays null', async () => {
      await store.upsertEpoch('job_1', 1, { loss: Number.NaN, up: Infinity, down: -Infinity, none: null, ok: 0.5 }, at(1));
      expect(await store.listEpochs('job_1')).toStrictEqual([
        { epoch: 1, metrics: { loss: null, up: null, down: null, none: null, ok: 0.5 }, attempt: 1, recorded_at: at(1).recorded_at, non_finite: ['loss', 'up', 'down'] },
      ]);
    });

    test('invalid epochs, names and values are a ValidationError and store nothing', async () => {
      const bad: Array<[number, Record<string, number | null>]> = [[-1, { loss: 1 }], [1e12, { loss: 1 }], [1.5, { loss: 1 }], [1, { loss: '1' as unknown as number }], [1, { '': 1 }]];
      for (const [epoch, metrics] of bad) {
        await expect(store.upsertEpoch('job_1', epoch, metrics, at(1))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
      await expect(store.upsertEpoch('job_1', 1, { loss: 1 }, { attempt: 0, recorded_at: 'T' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      expect(await store.listEpochs('job_1')).toEqual([]);
    });

    test('deleteJob removes only that job and says how many rows went', async () => {
      for (const epoch of [1, 2, 3]) await store.upsertEpoch('job_1', epoch, values(epoch), at(epoch));
      await store.upsertEpoch('job_2', 1, values(1), at(1));
      expect(await store.deleteJob('job_1')).toBe(3);
      expect(await store.deleteJob('job_1')).toBe(0);
      expect(await store.listEpochs('job_1')).toEqual([]);
      expect(await store.listEpochs('job_2')).toHaveLength(1);
    });

    test('steps: sorted by step within an inclusive range, fractional epochs kept, separate from epochs', async () => {
      for (const step of [30, 10, 20]) await store.upsertStep('job_1', step, { loss: 3 / step, lr: 1e-5, epoch: step / 40 }, at(step % 10));
      await store.upsertEpoch('job_1', 1, { loss: 1 }, at(1));
      expect((await store.listSteps('job_1')).map((r) => r.step)).toEqual([10, 20, 30]);
      expect((await store.listSteps('job_1', { start: 15, end: 30 })).map((r) => r.step)).toEqual([20, 30]);
      expect((await store.listSteps('job_1'))[0]).toStrictEqual({ step: 10, values: { loss: 0.3, lr: 1e-5, epoch: 0.25 }, attempt: 1, recorded_at: at(0).recorded_at });
      expect(await store.listSteps('job_2')).toEqual([]);
      expect((await store.listEpochs('job_1')).map((r) => r.epoch)).toEqual([1]);
    });

    test('steps: the same step again is stored once; a later attempt replaces it, an older one does not', async () => {
      expect(await store.upsertStep('job_1', 50, { loss: 1 }, at(1))).toBe(true);
      expect(await store.upsertStep('job_1', 50, { loss: 1, eval_loss: 1.2 }, at(2))).toBe(true);
      expect(await store.upsertStep('job_1', 50, { loss: 0.5 }, { attempt: 2, recorded_at: 'T2' })).toBe(true);
      expect(await store.upsertStep('job_1', 50, { loss: 9 }, { attempt: 1, recorded_at: 'T3' })).toBe(false);
      expect(await store.listSteps('job_1')).toStrictEqual([{ step: 50, values: { loss: 0.5 }, attempt: 2, recorded_at: 'T2' }]);
      await Promise.all(Array.from({ length: 30 }, (_, i) => store.upsertStep('job_1', 7, { loss: i }, { attempt: 1 + (i % 4), recorded_at: `T${i}` })));
      expect((await store.listSteps('job_1', { start: 7, end: 7 })).map((r) => r.attempt)).toEqual([4]);
    });

    test('steps: NaN/±Infinity are null and flagged; bad steps and values are a ValidationError; deleteJob counts them', async () => {
      await store.upsertStep('job_1', 1, { loss: Number.NaN, grad_norm: Infinity, lr: 2e-5 }, at(1));
      expect(await store.listSteps('job_1')).toStrictEqual([
        { step: 1, values: { loss: null, grad_norm: null, lr: 2e-5 }, attempt: 1, recorded_at: at(1).recorded_at, non_finite: ['loss', 'grad_norm'] },
      ]);
      for (const step of [-1, 1.5, 2e9]) await expect(store.upsertStep('job_1', step, { loss: 1 }, at(1))).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'invalid_step' });
      await expect(store.upsertStep('job_1', 2, { loss: 'x' as unknown as number }, at(1))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await store.upsertEpoch('job_1', 1, { loss: 1 }, at(1));
      await store.upsertStep('job_2', 1, { loss: 1 }, at(1));
      expect(await store.deleteJob('job_1')).toBe(2);
      expect(await store.listSteps('job_1')).toEqual([]);
      expect(await store.listSteps('job_2')).toHaveLength(1);
    });

    test('a metric named like a prototype key is data, not a prototype', async () => {
      await store.upsertEpoch('job_1', 1, { constructor: 1, toString: 2 }, at(1));
      const [row] = await store.listEpochs('job_1');
      expect(Object.getPrototypeOf(row?.metrics)).toBe(Object.prototype);
      expect(row?.metrics).toStrictEqual({ constructor: 1, toString: 2 });
    });
  });
}
