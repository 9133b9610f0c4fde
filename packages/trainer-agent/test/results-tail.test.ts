import { appendFileSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { waitFor } from './support/wait-for.js';
import { findResultsCsv } from '../src/find-results-csv.js';
import { startResultsTail, type ResultsTail } from '../src/results-tail.js';

let dir: string;
let tail: ResultsTail | undefined;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tail-'));
});
afterEach(async () => {
  await tail?.stop();
  tail = undefined;
});

describe('startResultsTail', () => {
  test('hands on each complete row once, waits for half-written rows, and starts over after a truncation', async () => {
    const file = path.join(dir, 'results.csv');
    const seen: number[] = [];
    tail = startResultsTail({ runDir: dir, searchRoot: dir, startedAt: Date.now(), pollMs: 20, log: () => {}, onRows: (rows) => seen.push(...rows.map((r) => r.epoch)) });
    writeFileSync(file, 'epoch,time,a\n1,1,0.1\n2,2,0.');
    await waitFor('epoch 1', () => seen.length === 1);
    appendFileSync(file, '2\n3,3,0.3\n');
    await waitFor('epochs 2 and 3', () => seen.length === 3);
    writeFileSync(file, 'epoch,time,a\n1,1,0.1\n');
    await waitFor('epoch 1 again after the rewrite', () => seen.length === 4);
    await tail.stop();
    expect(seen).toEqual([1, 2, 3, 1]);
    expect(tail.file()).toBe(file);
  });

  test('stop() does one last read, so a row written just before the trainer exits is not missed', async () => {
    const seen: number[] = [];
    tail = startResultsTail({ runDir: dir, searchRoot: dir, startedAt: Date.now(), pollMs: 60_000, log: () => {}, onRows: (rows) => seen.push(...rows.map((r) => r.epoch)) });
    writeFileSync(path.join(dir, 'results.csv'), 'epoch,a\n1,1\n2,2\n');
    await tail.stop();
    expect(seen).toEqual([1, 2]);
  });
});

describe('findResultsCsv', () => {
  test('takes the newest results.csv written after start, skipping older runs, hidden folders and node_modules', async () => {
    const write = (rel: string, ageMs: number) => {
      const file = path.join(dir, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, 'epoch\n');
      const when = new Date(Date.now() - ageMs);
      utimesSync(file, when, when);
      return file;
    };
    const startedAt = Date.now() - 10_000;
    write('runs/detect/train/results.csv', 3600_000);
    write('.hidden/results.csv', 0);
    write('node_modules/x/results.csv', 0);
    write('runs/detect/train2/results.csv', 5000);
    const newest = write('runs/detect/train3/results.csv', 1000);
    expect(await findResultsCsv({ searchRoot: dir, startedAt })).toBe(newest);
    expect(await findResultsCsv({ searchRoot: dir, startedAt: Date.now() + 60_000 })).toBeUndefined();
  });
});
