import { describe, expect, test } from 'vitest';
import type { EpochMetricValues, EpochRecord } from '../jobs/metric-store.port.js';
import { epochLoss, lossSeries } from './loss-series.js';
import { lttbIndices } from './lttb.js';

const row = (epoch: number, metrics: EpochRecord['metrics']): EpochRecord => ({ epoch, attempt: 1, recorded_at: `2026-01-01T00:00:0${epoch % 10}.000Z`, metrics });

describe('epochLoss', () => {
  test.each<{ name: string; given: EpochMetricValues; want: unknown }>([
    {
      name: 'YOLO detection: the sum of the train box/cls/dfl losses, val likewise',
      given: { box_loss: 1.25, cls_loss: 2.5, dfl_loss: 0.75, map50: 0.4, val_box_loss: 1, val_cls_loss: 2, val_dfl_loss: 0.5 },
      want: { loss: 4.5, val_loss: 3.5, components: { box_loss: 1.25, cls_loss: 2.5, dfl_loss: 0.75, val_box_loss: 1, val_cls_loss: 2, val_dfl_loss: 0.5 } },
    },
    { name: 'a reported total loss wins over the components', given: { loss: 0.9, box_loss: 5, val_loss: 1.1 }, want: { loss: 0.9, val_loss: 1.1, components: { box_loss: 5 } } },
    { name: 'a non-finite component makes the total null', given: { box_loss: null, cls_loss: 1 }, want: { loss: null, val_loss: undefined, components: { box_loss: null, cls_loss: 1 } } },
    { name: 'no loss at all', given: { map50: 0.5 }, want: { loss: undefined, val_loss: undefined, components: {} } },
  ])('$name', ({ given, want }) => {
    expect(epochLoss(given)).toEqual(want);
  });
});

describe('lossSeries', () => {
  test('numbers steps on across jobs and summarises every epoch', () => {
    const series = lossSeries(
      [
        { job_id: 'job_a', epochs: [row(1, { box_loss: 2, cls_loss: 1 }), row(2, { box_loss: 1, cls_loss: 0.5 })] },
        { job_id: 'job_b', epochs: [row(1, { box_loss: 1.5, cls_loss: 0.25 }), row(2, { map50: 0.3 }), row(3, { box_loss: 1.5, cls_loss: 0.5, val_box_loss: 0.5 })] },
      ],
      100,
    );
    expect(series.total_steps).toBe(4);
    expect(series.data.map((p) => [p.step, p.job_id, p.epoch, p.loss])).toEqual([
      [1, 'job_a', 1, 3], [2, 'job_a', 2, 1.5], [3, 'job_b', 1, 1.75], [4, 'job_b', 3, 2],
    ]);
    expect(series.data[3]).toMatchObject({ val_loss: 0.5, components: { box_loss: 1.5, cls_loss: 0.5, val_box_loss: 0.5 }, timestamp: '2026-01-01T00:00:03.000Z' });
    expect(series.metrics).toEqual({ initial_loss: 3, final_loss: 2, best_loss: 1.5, best_step: 2, final_val_loss: 0.5, best_val_loss: 0.5 });
  });

  test('thins to the budget with LTTB, keeping the first and last epoch', () => {
    const epochs = Array.from({ length: 50 }, (_, i) => row(i + 1, { box_loss: 2 / (i + 1) + (i % 3) * 0.1 }));
    const series = lossSeries([{ job_id: 'job_a', epochs }], 10);
    expect(series.total_steps).toBe(50);
    expect(series.data).toHaveLength(10);
    const want = lttbIndices(epochs.map((e) => e.epoch), epochs.map((e) => e.metrics.box_loss), 10).map((i) => i + 1);
    expect(series.data.map((p) => p.step)).toEqual(want);
    expect(series.data[0]?.step).toBe(1);
    expect(series.data.at(-1)?.step).toBe(50);
    expect(series.metrics.initial_loss).toBe(2);
  });

  test.each([
    { budget: 1, want: [3] },
    { budget: 2, want: [1, 3] },
  ])('a budget of $budget keeps $want', ({ budget, want }) => {
    const epochs = [row(1, { loss: 3 }), row(2, { loss: 2 }), row(3, { loss: 1 })];
    expect(lossSeries([{ job_id: 'j', epochs }], budget).data.map((p) => p.step)).toEqual(want);
  });

  test('an experiment without loss values has empty data and null metrics; a bad budget throws', () => {
    expect(lossSeries([{ job_id: 'j', epochs: [row(1, { map50: 0.1 })] }], 100)).toEqual({
      total_steps: 0, data: [], metrics: { initial_loss: null, final_loss: null, best_loss: null, best_step: null, final_val_loss: null, best_val_loss: null },
    });
    expect(() => lossSeries([], 0)).toThrow(RangeError);
  });
});
