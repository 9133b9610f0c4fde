import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { createNodePlatform, type NodePlatform } from '../adapters/node/create-node-platform.js';
import { killAll, processesWith, SCRIPTED_COMMAND, waitFor, waitForStatus } from '../../test/support/job-test-kit.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let dir = '';
let platform: NodePlatform | undefined;
afterEach(() => {
  platform?.close();
  killAll(processesWith([`YOLOOPS_TEST_WORLD=${dir}`]));
  rmSync(dir, { recursive: true, force: true });
});

const jobOptions = (world: string) => ({
  agentCommand: null, trainerCommand: SCRIPTED_COMMAND, concurrency: 2, stopGraceMs: 2000,
  env: { SCRIPTED_TRAINER_EPOCH_MS: '100', YOLOOPS_TEST_WORLD: world },
});

/** A server process: opens the platform, queues two jobs, prints `RUNNING <id> <pid>` for each, then idles until killed. */
function startServer(dataDir: string) {
  const script = `
    const { createNodePlatform } = await import(${JSON.stringify(path.join(here, '../adapters/node/create-node-platform.ts'))});
    const p = await createNodePlatform({ dataDir: ${JSON.stringify(dataDir)}, jobs: ${JSON.stringify(jobOptions(dataDir))} });
    const at = '2024-01-01T00:00:00.000Z';
    await p.stores.datasets.create({ dataset_id: 'ds_1', filename: 'a.zip', size: 1, sha256: 'x', uploaded_at: at, created_at: at, status: 'prepared', versions: ['v1'] });
    await p.blobs.write('datasets/ds_1/v1/data.yaml', 'names: [cat]\\n');
    for (const job of [await p.jobs.create({ dataset_id: 'ds_1', epochs: 200 }), await p.jobs.create({ dataset_id: 'ds_1', epochs: 200 })]) {
      for (;;) {
        const j = await p.jobs.get(job.job_id);
        if (j.status === 'running' && j.pid) { console.log('RUNNING ' + j.job_id + ' ' + j.pid); break; }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

test('kill -9 of the server: on restart a surviving trainer is adopted (and stoppable), a vanished one is crashed', async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-restart-'));
  const server = startServer(dir);
  let output = '';
  server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const lines = await waitFor('both jobs running in the server', () => {
    const found = [...output.matchAll(/RUNNING (\S+) (\d+)/g)];
    return found.length === 2 ? found.map((m) => ({ jobId: m[1] ?? '', pid: Number(m[2]) })) : undefined;
  }, 30_000);
  server.kill('SIGKILL');
  await new Promise((resolve) => server.once('exit', resolve));
  const [survivor, victim] = lines as [{ jobId: string; pid: number }, { jobId: string; pid: number }];
  await waitFor('a checkpoint of the victim', () => existsSync(path.join(dir, 'jobs', victim.jobId, 'train/weights/last.pt')));
  process.kill(-victim.pid, 'SIGKILL');
  const log = path.join(dir, 'jobs', `${survivor.jobId}.log`);
  const size = statSync(log).size;
  await waitFor('the surviving trainer to keep logging without the server', () => statSync(log).size > size);

  platform = await createNodePlatform({ dataDir: dir, jobs: jobOptions(dir) });
  expect(await platform.jobs.get(victim.jobId)).toMatchObject({ status: 'crashed', crashed: true, error: expect.stringMatching(/ended while the server was not watching/) });
  expect(await platform.jobs.get(survivor.jobId)).toMatchObject({ status: 'running', pid: survivor.pid });
  const stopped = await platform.jobs.stop(survivor.jobId);
  expect(stopped.status).toBe('stopped');
  expect(processesWith([`YOLOOPS_TEST_WORLD=${dir}`])).toEqual([]);
  await platform.jobs.resume(victim.jobId);
  expect((await waitFor('the crashed job to run again', async () => {
    const job = await platform?.jobs.get(victim.jobId);
    return job?.status === 'running' && job.pid !== undefined ? job : undefined;
  })).attempt).toBe(2);
  await platform.jobs.stop(victim.jobId);
  expect((await waitForStatus(platform.jobs, victim.jobId, 'stopped')).resume_count).toBe(1);
});
