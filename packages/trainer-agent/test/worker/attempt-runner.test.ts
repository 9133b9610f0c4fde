import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createExecaTrainingExecutor } from '@yoloops/core/node';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createAttemptRunner, type AttemptRunner } from '../../src/worker/attempt-runner.js';
import { createDatasetCache } from '../../src/worker/dataset-cache.js';
import { defaultAgentFlags } from '../../src/worker/worker-defaults.js';
import { createWorkerHttp, type WorkerHttp } from '../../src/worker/worker-http.js';
import { startFakeWorkerServer, type FakeWorkerServer } from '../support/fake-worker-server.js';
import { waitFor } from '../support/wait-for.js';
import { datasetZip, processLives, SOURCE_AGENT, workerTestDir, workOrder } from '../support/worker-kit.js';

let server: FakeWorkerServer;
let http: WorkerHttp;
let dir: { root: string; trainer: string };
const logs: string[] = [];

function runner(agentCommand: string[] = SOURCE_AGENT, agentFlags: string[] = []): AttemptRunner {
  const retry = { backoff: { baseMs: 5, capMs: 50 }, log: (line: string) => void logs.push(line) };
  return createAttemptRunner({
    workerId: 'w1', serverUrl: server.url, http, retry, log: retry.log, jobsDir: path.join(dir.root, 'work', 'jobs'),
    datasets: createDatasetCache({ http, dir: path.join(dir.root, 'work', 'datasets'), retry }),
    executor: createExecaTrainingExecutor(), agentCommand, agentFlags, graceMs: 3000,
  });
}
const runDir = (job = 'job_1', attempt = 1) => path.join(dir.root, 'work', 'jobs', job, `a${attempt}`, 'train');
const eventIds = () => server.notifications().map((n) => n.eventId);

beforeEach(async () => {
  server = await startFakeWorkerServer();
  http = createWorkerHttp({ serverUrl: server.url, token: 'worker-token' });
  dir = workerTestDir();
  logs.length = 0;
  server.files.set('/api/workers/jobs/job_1/dataset', await datasetZip());
});
afterEach(async () => {
  const pid = path.join(runDir('job_1', 2), 'trainer.pid');
  if (existsSync(pid)) {
    try {
      process.kill(Number(readFileSync(pid, 'utf8')), 'SIGKILL');
    } catch {
      // gone
    }
  }
  await http.close();
  await server.stop();
});

describe('attempt runner', () => {
  test('claims (after a 503), downloads dataset and weights, runs the trainer under the agent (logs shipped, checkpoint sent) and posts the exit', async () => {
    server.files.set('/api/workers/jobs/job_1/weights', Buffer.from('checkpoint bytes'));
    server.claims.push({ status: 503 }, { status: 200, order: workOrder(dir.trainer, { attempt: 2, weights: true }) });
    expect(defaultAgentFlags()).toEqual(['--ship-logs', '--checkpoints']);
    expect(await runner(SOURCE_AGENT, defaultAgentFlags()).handle({ job_id: 'job_1', attempt: 2 })).toBe('done');
    const shipped = server.requests.filter((r) => r.path === '/api/agent/tasks/job_1/logs').flatMap((r) => (r.body as { attempt: number; lines: string[] }).lines);
    expect(shipped).toContain('worker trainer starts');
    expect(server.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toContain('/api/agent/tasks/job_1/checkpoint?attempt=2');
    const seen = JSON.parse(readFileSync(path.join(runDir('job_1', 2), 'args.json'), 'utf8')) as { args: Record<string, string>; dataYaml: string; model: string; cwd: string };
    const datasetDir = path.dirname(seen.args.data ?? '');
    expect(path.dirname(datasetDir)).toBe(path.join(dir.root, 'work', 'datasets', 'ds_1', 'v1'));
    expect(seen.args).toMatchObject({ data: path.join(datasetDir, 'data.yaml'), project: path.dirname(runDir('job_1', 2)), name: 'train', epochs: '2' });
    expect(seen.args.model).toBe(path.join(dir.root, 'work', 'jobs', 'job_1', 'a2.in', 'last.pt'));
    expect(seen.model).toBe('checkpoint bytes');
    expect(seen.dataYaml).toContain(`path: ${datasetDir}`);
    expect(seen.cwd).toBe(path.dirname(runDir('job_1', 2)));
    // The agent reported attempt 2 with the job's own token; the worker used its token for its routes.
    expect(eventIds().filter((id) => !String(id).includes(':logs:'))).toEqual(['job_1:2:status:2', 'job_1:2:epoch:1', 'job_1:2:epoch:2', 'job_1:2:status:3']);
    expect(server.requests.filter((r) => r.path.startsWith('/api/model/')).every((r) => r.authorization === 'Bearer agent-token')).toBe(true);
    expect(server.requests.filter((r) => r.path.startsWith('/api/workers/')).every((r) => r.authorization === 'Bearer worker-token')).toBe(true);
    expect(server.requests.filter((r) => r.path.endsWith('/claims')).map((r) => r.body)).toEqual([{ job_id: 'job_1', attempt: 2 }, { job_id: 'job_1', attempt: 2 }]);
    expect(server.exits()).toEqual([{ path: '/api/workers/w1/jobs/job_1/exit', body: { attempt: 2, code: 0, signal: null, output_tail: expect.stringContaining('worker trainer starts') } }]);
  });

  test('a refused claim (409) runs nothing and posts no exit', async () => {
    server.claims.push({ status: 409, body: { reason: 'held_by_live_worker' } });
    expect(await runner().handle({ job_id: 'job_1', attempt: 1 })).toBe('refused');
    expect(server.requests.map((r) => r.path)).toEqual(['/api/workers/w1/claims']);
    expect(logs.join('\n')).toContain('refused (held_by_live_worker)');
  });

  test('a cancel stops the trainer group (SIGTERM), the agent reports stopped and the exit is posted', async () => {
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { attempt: 2, extra: ['hang=1'] }) });
    const run = runner();
    const handled = run.handle({ job_id: 'job_1', attempt: 2 });
    await waitFor('the trainer waiting', () => existsSync(path.join(runDir('job_1', 2), 'trainer.pid')) && eventIds().includes('job_1:2:epoch:2'));
    expect(run.jobs()).toEqual([{ job_id: 'job_1', attempt: 2 }]);
    run.cancel({ job_id: 'job_1', attempt: 1, reason: 'stopped' });
    run.cancel({ job_id: 'job_1', attempt: 2, reason: 'stopped' });
    expect(await handled).toBe('done');
    expect(existsSync(path.join(runDir('job_1', 2), 'got-sigterm'))).toBe(true);
    expect(server.notifications().at(-1)).toMatchObject({ statusType: 5 });
    expect(server.exits().map((e) => e.body)).toEqual([{ attempt: 2, code: 7, signal: null, output_tail: expect.any(String) }]);
    expect(run.jobs()).toEqual([]);
  });

  test('a cancel while the dataset is still downloading ends the downloads and posts the exit without starting the trainer', async () => {
    server.files.set('/api/workers/jobs/job_1/dataset?attempt=2', Array.from({ length: 1000 }, () => ({ status: 503 })));
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { attempt: 2 }) });
    const run = runner();
    const handled = run.handle({ job_id: 'job_1', attempt: 2 });
    await waitFor('the download retried', () => server.requests.filter((r) => r.method === 'GET').length >= 2);
    run.cancel({ job_id: 'job_1', attempt: 2, reason: 'stopped' });
    expect(await handled).toBe('done');
    expect(existsSync(runDir('job_1', 2))).toBe(false);
    expect(server.exits().map((e) => e.body)).toEqual([{ attempt: 2, code: null, signal: 'SIGTERM', output_tail: 'yoloops worker: stopped before the trainer started' }]);
  });

  test('a cancelled llm-finetune gets SIGINT first (LLaMA-Factory saves a checkpoint on it)', async () => {
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { attempt: 2, extra: ['hang=1'], kind: 'llm-finetune' }) });
    const run = runner();
    const handled = run.handle({ job_id: 'job_1', attempt: 2 });
    await waitFor('the trainer waiting', () => existsSync(path.join(runDir('job_1', 2), 'trainer.pid')));
    run.cancel({ job_id: 'job_1', attempt: 2, reason: 'stopped' });
    expect(await handled).toBe('done');
    expect(existsSync(path.join(runDir('job_1', 2), 'got-sigint'))).toBe(true);
    expect(existsSync(path.join(runDir('job_1', 2), 'got-sigterm'))).toBe(false);
    expect(server.exits().map((e) => e.body.code)).toEqual([8]);
  });

  test('a work order the worker cannot read fails the attempt (exit 1 naming it) instead of leaving it running', async () => {
    server.claims.push({ status: 200, order: { ...workOrder(dir.trainer, { attempt: 3 }), trainer: 'not an argv' } });
    expect(await runner().handle({ job_id: 'job_1', attempt: 3 })).toBe('done');
    const [exit] = server.exits();
    expect(exit?.path).toBe('/api/workers/w1/jobs/job_1/exit');
    expect(exit?.body).toMatchObject({ attempt: 3, code: 1, signal: null });
    expect(String(exit?.body.output_tail)).toMatch(/^yoloops worker: the server's work order is not one this worker reads \(trainer: /);
  });

  test('an agent program that does not exist is posted as exit 127 naming it', async () => {
    server.claims.push({ status: 200, order: workOrder(dir.trainer) });
    expect(await runner(['definitely-not-an-agent-7c1d']).handle({ job_id: 'job_1', attempt: 1 })).toBe('done');
    const [exit] = server.exits();
    expect(exit?.body).toMatchObject({ attempt: 1, code: 127, signal: null });
    expect(String(exit?.body.output_tail)).toMatch(/could not start "definitely-not-an-agent-7c1d" \(ENOENT\)/);
  });

  test('abandonAll (worker shutdown) kills the trainer at once and posts no exit', async () => {
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { attempt: 2, extra: ['hang=1'] }) });
    const run = runner();
    const shutdown = new AbortController();
    const handled = run.handle({ job_id: 'job_1', attempt: 2 }, shutdown.signal);
    const pidFile = path.join(runDir('job_1', 2), 'trainer.pid');
    await waitFor('the trainer waiting', () => existsSync(pidFile));
    shutdown.abort();
    await run.abandonAll();
    expect(await handled).toBe('abandoned');
    expect(processLives(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
    expect(existsSync(path.join(runDir('job_1', 2), 'got-sigterm'))).toBe(false);
    expect(server.exits()).toEqual([]);
  });

  test('the server away while the trainer runs: training goes on, the agent holds its last reports and the exit follows once the server is back', async () => {
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { attempt: 2, extra: ['epochs=4'] }) });
    const handled = runner().handle({ job_id: 'job_1', attempt: 2 });
    await waitFor('the trainer started', () => existsSync(path.join(runDir('job_1', 2), 'args.json')));
    await server.stop();
    const csv = path.join(runDir('job_1', 2), 'results.csv');
    await waitFor('the trainer done while the server is away', () => existsSync(csv) && readFileSync(csv, 'utf8').split('\n').length >= 6);
    // The agent is still retrying its reports (its trainer is done); give it a few failed tries.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stored = server.notifications().length;
    await server.start();
    expect(await handled).toBe('done');
    // The agent held its last reports until the server was back (no "reports never arrived" failure), then the exit followed.
    expect(server.notifications().slice(stored).map((n) => n.eventId)).toContain('job_1:2:status:3');
    expect(eventIds().filter((id) => String(id).includes(':epoch:'))).toEqual(['job_1:2:epoch:1', 'job_1:2:epoch:2', 'job_1:2:epoch:3', 'job_1:2:epoch:4']);
    expect(server.requests.findIndex((r) => r.path.endsWith('/exit'))).toBeGreaterThan(server.requests.findIndex((r) => r.body !== null && typeof r.body === 'object' && (r.body as { eventId?: string }).eventId === 'job_1:2:status:3'));
    expect(server.exits().map((e) => e.body)).toEqual([expect.objectContaining({ attempt: 2, code: 0 })]);
  });
});
