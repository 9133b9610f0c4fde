import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../test/support/fixtures.js';
import { parseYoloLabels, serializeYoloLabels } from './yolo-labels.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const inputDir = fixturePath('datasets/coco8/labels');
const goldenDir = path.join(here, '__fixtures__', 'coco8');
const SPLITS = ['train', 'val'] as const;
const COCO_CLASSES = 80;

const inputs = SPLITS.flatMap((split) =>
  readdirSync(path.join(inputDir, split))
    .filter((name) => name.endsWith('.txt'))
    .sort()
    .map((name) => ({ split, name, file: `${split}/${name}` })),
);

describe('YOLO labels on the COCO8 fixture', () => {
  test('the fixture directory holds 8 label files', () => {
    expect(inputs).toHaveLength(8);
  });

  test.each(inputs)('$file parses without issues and serialises to its golden file', ({ split, name }) => {
    const parsed = parseYoloLabels(readFileSync(path.join(inputDir, split, name), 'utf8'), { nc: COCO_CLASSES });
    expect(parsed.issues).toEqual([]);
    expect(parsed.rows.length).toBeGreaterThan(0);
    const golden = readFileSync(path.join(goldenDir, split, name), 'utf8');
    expect(serializeYoloLabels(parsed.rows)).toBe(golden);
  });

  test.each(inputs)('$file survives parse → serialise → parse within 1e-6', ({ split, name }) => {
    const parsed = parseYoloLabels(readFileSync(path.join(inputDir, split, name), 'utf8'), { nc: COCO_CLASSES });
    const again = parseYoloLabels(serializeYoloLabels(parsed.rows), { nc: COCO_CLASSES });
    expect(again.issues).toEqual([]);
    expect(again.rows).toHaveLength(parsed.rows.length);
    again.rows.forEach((row, i) => {
      const original = parsed.rows[i];
      expect(row.classId).toBe(original?.classId);
      for (const key of ['cx', 'cy', 'w', 'h'] as const) {
        expect(Math.abs(row[key] - (original?.[key] ?? Number.NaN))).toBeLessThanOrEqual(1e-6);
      }
    });
  });
});
