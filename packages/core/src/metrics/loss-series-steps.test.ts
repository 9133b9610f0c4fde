import { describe, expect, test } from 'vitest';
import type { StepRecord } from '../jobs/metric-store.port.js';
import { lossSeries } from './loss-series.js';

const step = (n: number, values: StepRecord['values']): StepRecord => ({ step: n, values, attempt: 1, recorded_at: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z` });

describe('lossSeries over fine-tune steps', () => {
  test('each logging step is a point (loss, eval_loss as val_loss, the epoch\'s integer part, the trainer\'s step); steps continue after epoch runs', () => {
    const steps = [step(2, { loss: 2.5, lr: 3e-5, epoch: 0.5 }), step(4, { loss: 2, eval_loss: 2.2, epoch: 1.25 }), step(6, { lr: 1e-5, epoch: 1.5 })];
    const series = lossSeries([{ job_id: 'job_d', epochs: [{ epoch: 1, metrics: { loss: 9 }, attempt: 1, recorded_at: 't' }] }, { job_id: 'job_f', steps }], 100);
    expect(series.total_steps).toBe(3);
    expect(series.data.slice(1)).toEqual([
      { step: 2, epoch: 0, loss: 2.5, val_loss: null, components: {}, job_id: 'job_f', timestamp: steps[0]?.recorded_at, trainer_step: 2 },
      { step: 3, epoch: 1, loss: 2, val_loss: 2.2, components: {}, job_id: 'job_f', timestamp: steps[1]?.recorded_at, trainer_step: 4 },
    ]);
    expect(series.metrics).toMatchObject({ initial_loss: 9, final_loss: 2, best_loss: 2, best_step: 3, final_val_loss: 2.2 });
  });

  test('a long run is thinned to the budget with its first and last step kept', () => {
    const steps = Array.from({ length: 500 }, (_, i) => step(i + 1, { loss: 3 * Math.exp(-i / 100) + (i % 7) / 50, epoch: i / 100 }));
    const series = lossSeries([{ job_id: 'job_f', steps }], 50);
    expect(series.total_steps).toBe(500);
    expect(series.data).toHaveLength(50);
    expect([series.data[0]?.trainer_step, series.data.at(-1)?.trainer_step]).toEqual([1, 500]);
  });
});
