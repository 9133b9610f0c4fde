import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { createApp } from '@yoloops/server-express';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../../test/support/fixtures.js';
import { waitFor } from './support/training.js';

/** A trainer that prints (stdout and a \r progress bar on stderr), appends results.csv rows and rewrites weights/last.pt each epoch. */
const TRAINER = `
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
const dir = process.env.RUN_DIR;
mkdirSync(dir + '/weights', { recursive: true });
writeFileSync(dir + '/results.csv', 'epoch,train/box_loss,metrics/mAP50(B)\\n');
const epochs = Number(process.env.EPOCHS);
for (let e = 1; e <= epochs; e++) {
  console.log('Epoch ' + e + '/' + epochs + ' started');
  for (let b = 1; b <= 5; b++) process.stderr.write('  batch ' + b + '/5\\r');
  process.stderr.write('\\n');
  writeFileSync(dir + '/weights/last.pt', 'weights after epoch ' + e);
  appendFileSync(dir + '/results.csv', e + ',' + (1 / e) + ',' + (0.1 * e) + '\\n');
  await new Promise((r) => setTimeout(r, 150));
}
console.log('done');
`;

/** The agent CLI from source (the built dist/ may be older than the code under test). */
const AGENT_CLI = path.join(REPO_ROOT, 'packages', 'trainer-agent', 'src', 'cli.ts');
const TSX = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const JOB = '0b5e55ed0b5e55ed0b5e55ed0b5e55ed';

let dataDir: string;
let cwd: string;
let platform: NodePlatform;
let http: Server | undefined;
let port: number;

async function listen(): Promise<void> {
  http = await new Promise<Server>((resolve) => {
    const s = createApp({ services: platform, rateLimits: false }).listen(port, '127.0.0.1', () => resolve(s));
  });
  port = (http.address() as AddressInfo).port;
}
async function unlisten(): Promise<void> {
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  http = undefined;
}

/** Runs the real agent CLI (`--ship-logs --checkpoints`) over the trainer; resolves with its exit code. */
function runAgent(epochs: number): Promise<number | null> {
  const args = ['run', '--server', `http://127.0.0.1:${port}`, '--task', JOB, '--run-dir', 'run', '--no-export', '--ship-logs', '--checkpoints', '--flush-timeout', '30', '--', process.execPath, 'trainer.mjs'];
  const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, AGENT_CLI, ...args], {
    cwd, stdio: 'ignore', env: { ...process.env, RUN_DIR: 'run', EPOCHS: String(epochs), YOLOOPS_AGENT_RETRY_CAP_MS: '200', YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS: '1' },
  });
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-ship-'));
  cwd = mkdtempSync(path.join(tmpdir(), 'yoloops-ship-run-'));
  writeFileSync(path.join(cwd, 'trainer.mjs'), TRAINER);
  platform = await createNodePlatform({ dataDir, database: false, jobs: { agentCommand: null, watchdogMs: 600_000 }, generation: { llama: false } });
  port = 0;
  await listen();
});
afterEach(async () => {
  await unlisten();
  await platform.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

const want = (epochs: number) => [
  ...Array.from({ length: epochs }, (_, i) => [`Epoch ${i + 1}/${epochs} started`, '  batch 5/5']).flat(),
  'done',
];
/** The job log as the log routes read it; stderr and stdout lines may interleave, so each stream's order is checked. */
async function jobLog(): Promise<string[]> {
  return (await platform.jobs.get(JOB).then(() => readFileSync(path.join(dataDir, 'jobs', `${JOB}.log`), 'utf8'))).trim().split('\n');
}

describe('yoloops-agent run --ship-logs --checkpoints against a real server', () => {
  test('the trainer\'s lines reach the job log once each, in order; the last checkpoint is the server\'s last.pt; epochs and the outcome arrive', async () => {
    expect(await runAgent(4)).toBe(0);
    const log = await jobLog();
    expect(log.filter((l) => l.startsWith('Epoch') || l === 'done')).toEqual(want(4).filter((l) => !l.startsWith('  batch')));
    // A progress bar's frames collapse to at most one line per batch; never a line twice in a row from one redraw.
    expect(log.filter((l) => l.startsWith('  batch')).every((l) => l === '  batch 5/5' || /^ {2}batch [1-5]\/5$/.test(l))).toBe(true);
    expect(log.filter((l) => l === '  batch 5/5')).toHaveLength(4);
    expect(readFileSync(path.join(dataDir, 'jobs', JOB, 'train', 'weights', 'last.pt'), 'utf8')).toBe('weights after epoch 4');
    expect((await platform.jobMetrics.listEpochs(JOB)).map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect((await platform.jobs.get(JOB)).status).toBe('completed');
  });

  test('with the server away for the first epochs, nothing is lost: the outbox delivers every line once it is back', async () => {
    await unlisten();
    const done = runAgent(3);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await listen();
    expect(await done).toBe(0);
    await waitFor(async () => (await platform.jobs.get(JOB).catch(() => undefined))?.status, (s) => s === 'completed');
    const log = await jobLog();
    expect(log.filter((l) => l.startsWith('Epoch') || l === 'done')).toEqual(want(3).filter((l) => !l.startsWith('  batch')));
    expect(log.filter((l) => l === '  batch 5/5')).toHaveLength(3);
    expect(readFileSync(path.join(dataDir, 'jobs', JOB, 'train', 'weights', 'last.pt'), 'utf8')).toBe('weights after epoch 3');
  });
});
