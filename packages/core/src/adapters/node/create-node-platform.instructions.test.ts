import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createNodePlatform } from './create-node-platform.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-platform-instructions-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = () => createNodePlatform({ dataDir: dir, jobs: { agentCommand: null, watchdogMs: 60_000 }, limits: { maxUploadBytes: 4096 } });
const records = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ instruction: `q${i}`, output: `a${i}` })));

describe('createNodePlatform: instruction datasets', () => {
  test('keeps datasets in the database and files under the data root; a run left running by a stopped server is failed on the next open', async () => {
    const first = await open();
    const ds = await first.instructions.upload({ body: Readable.from([records(10)]), filename: 'd.json', name: 'd' });
    expect(ds.path.startsWith(dir)).toBe(true);
    const at = new Date().toISOString();
    await first.stores.processingTasks.create({
      task_id: 'task_stale', kind: 'dataset_process', dataset_id: ds.id, output_name: 'o', status: 'running', progress: 40, created_at: at, updated_at: at, owner_id: null,
    });
    await first.close();
    const second = await open();
    try {
      expect(await second.instructions.get(ds.id)).toEqual(ds);
      expect(await second.instructions.getTask('task_stale')).toMatchObject({ status: 'failed', error: 'the server stopped while this task ran' });
    } finally {
      second.close();
    }
  });

  test('the platform\'s upload cap applies to instruction uploads too', async () => {
    const platform = await open();
    try {
      await expect(platform.instructions.upload({ body: Readable.from([records(400)]), filename: 'big.json', name: 'big' })).rejects.toMatchObject({ code: 'TOO_LARGE' });
      expect(await platform.instructions.list()).toEqual([]);
    } finally {
      platform.close();
    }
  });
});
