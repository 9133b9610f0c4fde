import { describe, expect, test } from 'vitest';
import { collectMetricSources, readMetric, readMetricTable, releaseMetricTable, sourceColumn, type EpochMetrics } from './metric-series.js';

/** Rows whose key lists change in runs (long enough for the generated shape readers), with gaps, nulls, NaN, aliases and hostile names. */
function raggedRows(n: number): EpochMetrics[] {
  const hostile = 'x"]; throw new Error("injected"); //\\';
  const shapes = [
    ['train/box_loss', 'metrics/mAP50(B)', 'lr/pg0'],
    ['train/box_loss', 'metrics/mAP50(B)', 'lr/pg0', 'val/box_loss', hostile],
    ['metrics/mAP50(B)', 'map50', 'train/box_loss', 'line\u2028break'],
  ];
  return Array.from({ length: n }, (_, i) => {
    const shape = shapes[Math.floor(i / 97) % shapes.length] as string[];
    const metrics: Record<string, number | null | undefined> = {};
    shape.forEach((name, k) => {
      const pick = (i * 7 + k * 13) % 31;
      metrics[name] = pick === 0 ? null : pick === 1 ? Number.NaN : pick === 2 ? undefined : pick === 3 ? Number.POSITIVE_INFINITY : (i % 50) + k / 10;
    });
    return { epoch: i + 1, metrics };
  });
}

describe('readMetricTable', () => {
  test.each([10, 2000])('%i ragged rows: every column holds what readMetric reads, row by row', (n) => {
    const rows = raggedRows(n);
    for (let round = 0; round < 2; round++) {
      const table = readMetricTable(rows, () => true);
      expect(table.sources).toEqual(collectMetricSources(rows));
      expect([...table.epochs]).toEqual(rows.map((row) => row.epoch));
      for (const source of table.sources) {
        const column = sourceColumn(table, source) as Float64Array;
        expect([...column]).toEqual(rows.map((row) => readMetric(row, source, false)));
      }
      releaseMetricTable(table);
    }
  });

  test('values of metrics nobody wants are not read', () => {
    const rows = raggedRows(600);
    const table = readMetricTable(rows, (key) => key === 'map50');
    expect([...table.columns.keys()]).toEqual(['metrics/mAP50(B)', 'map50']);
  });
});
