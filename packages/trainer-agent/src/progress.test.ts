import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createProgress, formatEpoch, totalEpochs } from './progress.js';

const row = { epoch: 3, values: { 'train/box_loss': 1.23456, 'train/cls_loss': null, 'metrics/mAP50(B)': 0.456789 } };

describe('progress display', () => {
  test('totalEpochs reads epochs=N, --epochs N, then args.yaml', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'progress-'));
    writeFileSync(path.join(dir, 'args.yaml'), 'task: detect\nepochs: 42\nbatch: 16\n');
    expect(totalEpochs(['yolo', 'train', 'epochs=7'])).toBe(7);
    expect(totalEpochs(['python', 'train.py', '--epochs', '9'])).toBe(9);
    expect(totalEpochs(['yolo', 'train', 'resume'], dir)).toBe(42);
    expect(totalEpochs(['yolo'], path.join(dir, 'missing'))).toBeUndefined();
  });

  test('formatEpoch shows epoch N/M and the key metrics that exist', () => {
    expect(formatEpoch(row, 10)).toBe('epoch 3/10  box_loss 1.235  mAP50 0.4568');
  });

  test('plain lines when not a TTY, one redrawn line with a bar on a TTY', () => {
    const plain: string[] = [];
    const tty: string[] = [];
    const p1 = createProgress({ write: (s: string) => plain.push(s) } as never, ['yolo', 'epochs=10']);
    const p2 = createProgress({ isTTY: true, write: (s: string) => tty.push(s) } as never, ['yolo', 'epochs=10']);
    for (const p of [p1, p2]) {
      p.epoch(row, '/nowhere');
      p.done();
    }
    expect(plain).toEqual(['yoloops-agent: epoch 3/10  box_loss 1.235  mAP50 0.4568\n']);
    expect(tty).toEqual(['\r\u001b[2K[######..............] epoch 3/10  box_loss 1.235  mAP50 0.4568', '\n']);
  });
});
