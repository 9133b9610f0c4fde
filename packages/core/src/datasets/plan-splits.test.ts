import { describe, expect, test } from 'vitest';
import type { LayoutImage } from './detect-layout.js';
import { planSplits } from './plan-splits.js';

const img = (entry: string, split?: 'train' | 'val' | 'test', rel = entry.split('/').pop()!): LayoutImage => ({ entry, rel, ...(split ? { split } : {}) });

describe('planSplits', () => {
  test('keeps the ZIP splits unless resplit is asked for', () => {
    const images = [img('images/train/a.jpg', 'train'), img('images/val/b.jpg', 'val')];
    expect(planSplits(images, { ratio: { train: 0.5, val: 0.5 }, seed: 0, resplit: false }).map((p) => [p.split, p.target, p.labelTarget])).toEqual([
      ['train', 'images/train/a.jpg', 'labels/train/a.txt'],
      ['val', 'images/val/b.jpg', 'labels/val/b.txt'],
    ]);
  });

  test('gives the same split for the same names and seed, in any order', () => {
    const images = Array.from({ length: 50 }, (_, i) => img(`p/${i}.jpg`));
    const a = planSplits(images, { ratio: { train: 0.8, val: 0.2 }, seed: 7, resplit: false });
    const b = planSplits([...images].reverse(), { ratio: { train: 0.8, val: 0.2 }, seed: 7, resplit: false });
    const byEntry = (plans: typeof a) => Object.fromEntries(plans.map((p) => [p.image.entry, p.split]));
    expect(byEntry(b)).toEqual(byEntry(a));
    expect(a.filter((p) => p.split === 'val')).toHaveLength(10);
  });

  test('keeps names unique when re-splitting brings train/a.jpg and val/a.jpg together', () => {
    const images = [img('images/train/a.jpg', 'train'), img('images/val/a.jpg', 'val'), img('images/val/A.JPG', 'val')];
    const plans = planSplits(images, { ratio: { train: 1, val: 0 }, seed: 0, resplit: true });
    const targets = plans.map((p) => p.target.toLowerCase().replace(/\.[a-z]+$/, ''));
    expect(new Set(targets).size).toBe(3);
    expect(plans.every((p) => p.target.startsWith('images/train/'))).toBe(true);
  });

  test('rejects a ratio that does not sum to 1, naming the values', () => {
    expect(() => planSplits([img('a.jpg')], { ratio: { train: 0.8, val: 0.3 }, seed: 0, resplit: false })).toThrow(/0\.8.*0\.3/);
  });
});
