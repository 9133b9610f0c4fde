import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { createNodePlatform } from './create-node-platform.js';

const root = mkdtempSync(path.join(tmpdir(), 'yoloops-platform-gpu-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('bad GPU options stop the start before the data root or database is touched', async () => {
  const dataDir = path.join(root, 'data');
  await expect(createNodePlatform({ dataDir, gpu: { historyMinutes: 0 } })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('1–1440 minutes') });
  await expect(createNodePlatform({ dataDir, gpu: { sampleIntervalMs: 5 } })).rejects.toMatchObject({ message: expect.stringContaining('at least 100 ms') });
  expect(existsSync(path.join(dataDir, 'yoloops.db'))).toBe(false);
});
