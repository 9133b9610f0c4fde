import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CLI, spawnNode, type Child } from './support/child.js';
import { startFakeNotifyServer, type FakeNotifyServer } from './support/fake-notify-server.js';
import { SCRIPTED_EXPORT, SCRIPTED_TRAINER } from './support/scripted-trainer.js';
import { waitFor } from './support/wait-for.js';

let server: FakeNotifyServer;
let cwd: string;
const runs: Child[] = [];

beforeEach(async () => {
  server = await startFakeNotifyServer();
  cwd = mkdtempSync(path.join(tmpdir(), 'agent-cli-'));
  writeFileSync(path.join(cwd, 'trainer.mjs'), SCRIPTED_TRAINER);
  writeFileSync(path.join(cwd, 'export.mjs'), SCRIPTED_EXPORT);
});
afterEach(async () => {
  for (const run of runs.splice(0)) if (run.process.exitCode === null && run.process.signalCode === null) run.process.kill('SIGKILL');
  const pidFile = path.join(cwd, 'run', 'trainer.pid');
  if (existsSync(pidFile)) killQuietly(Number(readFileSync(pidFile, 'utf8')));
  await server.stop();
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Starts `yoloops-agent run` for task `job` in the test folder; `trainer` is the scripted trainer's environment. */
function agentRun(options: string[], trainer: Record<string, string>, command = ['node', 'trainer.mjs']) {
  const args = ['run', '--server', server.url, '--task', 'job', '--flush-timeout', '10', ...options, '--', ...command];
  const run = spawnNode(CLI, args, { cwd, env: { YOLOOPS_AGENT_RETRY_CAP_MS: '100', ...trainer } });
  runs.push(run);
  return run;
}
const ids = () => server.stored.map((e) => e.eventId);
const last = () => server.stored.at(-1)?.body;

describe('yoloops-agent run', () => {
  test('completed run: running, each epoch once with raw metrics, best weights exported to ONNX and uploaded, then completed', async () => {
    const run = agentRun(['--run-dir', 'runs/detect/train', '--export-cmd', 'node export.mjs {weights}'], { RUN_DIR: 'runs/detect/train', TO: '3', WEIGHTS: '1' });
    expect((await run.exited).code).toBe(0);
    expect(ids()).toEqual(['job:1:status:2', 'job:1:epoch:1', 'job:1:epoch:2', 'job:1:epoch:3', 'job:1:status:3']);
    const epoch2 = server.stored[2]?.body as { metrics: Record<string, number>; loss: number; accuracy: number };
    expect(epoch2.metrics).toMatchObject({ time: 24.6, 'train/box_loss': 0.75, 'metrics/mAP50(B)': 0.32 });
    expect(epoch2.loss).toBeCloseTo(0.75 + 0.6 + 0.55, 10);
    expect(epoch2.accuracy).toBe(0.32);
    // One request with both: best.onnx for inference, best.pt so the model can be fine-tuned.
    expect(server.uploads.map(({ taskId, field, filename, bytes }) => ({ taskId, field, filename, bytes: bytes.toString() }))).toEqual([
      { taskId: 'job', field: 'file', filename: 'best.onnx', bytes: 'onnx:fake best.pt bytes' },
      { taskId: 'job', field: 'file', filename: 'best.pt', bytes: 'fake best.pt bytes' },
    ]);
    expect(run.stdout()).toContain('trainer says hi');
    expect(run.stderr()).toContain('epoch 3');
  });

  test('failed run found without --run-dir (YOLOv5, 0-based): epochs 1..2, then failed with the stderr tail (≤500 chars) and the exit code', async () => {
    const run = agentRun([], { RUN_DIR: 'runs/train/exp', FORMAT: 'v5', TO: '2', STDERR_LINES: '200', EXIT_CODE: '3' });
    expect((await run.exited).code).toBe(3);
    expect(ids()).toEqual(['job:1:status:2', 'job:1:epoch:1', 'job:1:epoch:2', 'job:1:status:4']);
    const message = String(last()?.failureMessage);
    expect(message.length).toBeLessThanOrEqual(500);
    expect(message.startsWith('trainer exited with code 3\n')).toBe(true);
    expect(message.endsWith('noise line 199\nValueError: boom')).toBe(true);
    expect(server.uploads).toEqual([]);
  });

  test('SIGTERM to the agent is forwarded to the trainer, then stopped is reported and the trainer\'s exit code returned', async () => {
    const run = agentRun(['--run-dir', 'run'], { RUN_DIR: 'run', TO: '1', HANG: '1' });
    await waitFor('epoch 1 stored and the trainer waiting', () => ids().includes('job:1:epoch:1') && existsSync(path.join(cwd, 'run', 'trainer.pid')));
    run.process.kill('SIGTERM');
    expect((await run.exited).code).toBe(7);
    expect(existsSync(path.join(cwd, 'run', 'got-sigterm'))).toBe(true);
    expect(last()).toMatchObject({ statusType: 5, failureMessage: 'Training stopped by request (SIGTERM)' });
  });

  test('discovery takes the results.csv written after start, not an older run; a missing weights route (404) is only logged', async () => {
    const old = path.join(cwd, 'runs', 'detect', 'train');
    mkdirSync(old, { recursive: true });
    writeFileSync(path.join(old, 'results.csv'), 'epoch,a\n1,1\n2,2\n3,3\n4,4\n');
    utimesSync(path.join(old, 'results.csv'), new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    server.weightsRoute = 'missing';
    const run = agentRun(['--no-export'], { RUN_DIR: 'runs/detect/train2', TO: '2', WEIGHTS: '1' });
    expect((await run.exited).code).toBe(0);
    expect(ids()).toEqual(['job:1:status:2', 'job:1:epoch:1', 'job:1:epoch:2', 'job:1:status:3']);
    expect(run.stderr()).toMatch(/no weights route yet \(404/);
  });

  test('a trainer program that does not exist: failed saying so, exit 127', async () => {
    const run = agentRun([], {}, ['definitely-not-a-trainer-3f9a']);
    expect((await run.exited).code).toBe(127);
    expect(last()).toMatchObject({ statusType: 4 });
    expect(String(last()?.failureMessage)).toMatch(/could not start "definitely-not-a-trainer-3f9a" \(ENOENT\): install it or fix the configured trainer/);
    // The same text in the agent's output, which is the job log the S001 UI shows.
    expect(run.stderr()).toContain(`yoloops-agent: ${String(last()?.failureMessage)}`);
  });

  test('agent killed with SIGKILL mid-run and restarted: its outbox is replayed, every event stored and acknowledged exactly once (D9)', async () => {
    server.fail({ kind: 'status', status: 503 }, 100_000);
    const first = agentRun(['--run-dir', 'run'], { RUN_DIR: 'run', TO: '5', HANG: '1' });
    const journal = path.join(cwd, '.yoloops-agent', 'job.events.jsonl');
    const pidFile = path.join(cwd, 'run', 'trainer.pid');
    await waitFor('running + 5 epochs journaled', () => existsSync(pidFile) && existsSync(journal) && readFileSync(journal, 'utf8').split('\n').length > 6);
    first.process.kill('SIGKILL');
    killQuietly(Number(readFileSync(pidFile, 'utf8')));
    await first.exited;
    expect(server.stored).toEqual([]);
    server.clearFaults();
    const second = agentRun(['--run-dir', 'run', '--no-export'], { RUN_DIR: 'run', FROM: '6', TO: '8' });
    expect((await second.exited).code).toBe(0);
    const epochs = [1, 2, 3, 4, 5, 6, 7, 8].map((e) => `job:1:epoch:${e}`);
    expect(ids()).toEqual(['job:1:status:2', ...epochs, 'job:1:status:3']);
    expect(ids().map((id) => server.acks(id))).toEqual(ids().map(() => 1));
  });
});
