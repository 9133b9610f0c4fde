import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAuthServer, type AuthServer } from './support/auth.js';
import { openDataRootStores } from '../../core/test/support/data-root-stores.js';
import { signJwt } from './support/raw-http.js';
import { startBlockedTrainingServer, type TrainingServer } from './support/training.js';

const steps = (id: string) => `/api/agent/tasks/${id}/steps`;
const rows = [{ step: 10, values: { loss: 2.5, lr: 3e-5, epoch: 0.25 } }, { step: 20, values: { loss: 2.1, lr: 2.9e-5, epoch: 0.5, grad_norm: null } }];

describe('POST /api/agent/tasks/{task_id}/steps', () => {
  let t: TrainingServer;
  let queuedJob: () => Promise<string>;
  beforeAll(async () => {
    ({ t, queuedJob } = await startBlockedTrainingServer());
  }, 30_000);
  afterAll(async () => t?.close());

  test('stores a batch once (a replay changes nothing), sets the job\'s progress, and never moves it back', async () => {
    const id = await queuedJob();
    const progress = { percentage: 16.67, current_steps: 20, total_steps: 120, remaining_time: '0:02:10' };
    expect(await t.post(steps(id), { rows, progress, attempt: 1, eventId: `${id}:1:steps:a` })).toEqual({ status: 200, json: { success: true, code: 200, msg: 'ok', data: '' } });
    expect((await t.post(steps(id), { rows, progress: { ...progress, current_steps: 10, percentage: 8.33 } })).json.success).toBe(true);
    expect((await t.platform.jobMetrics.listSteps(id)).map((r) => [r.step, r.values])).toEqual(rows.map((r) => [r.step, r.values]));
    expect((await t.get(`/train/jobs/${id}`)).json.progress).toMatchObject({ ...progress, attempt: 1 });
  });

  test('a bad row is a success:false 400 naming it and stores none of the batch; an unknown job is a 404', async () => {
    const id = await queuedJob();
    const bad = await t.post(steps(id), { rows: [{ step: 1, values: { loss: 1 } }, { step: 1.5, values: {} }] });
    expect(bad).toMatchObject({ status: 200, json: { success: false, code: 400, msg: expect.stringMatching(/rows\.1\.step/) } });
    const text = await t.post(steps(id), { rows: [{ step: 2, values: { loss: 'low' } }] });
    expect(text.json).toMatchObject({ success: false, code: 400 });
    const flood = await t.post(steps(id), { rows: Array.from({ length: 1001 }, (_, i) => ({ step: i, values: {} })) });
    expect(flood.json).toMatchObject({ success: false, code: 400 });
    expect(await t.platform.jobMetrics.listSteps(id)).toEqual([]);
    expect((await t.post(steps('job_20240101_000000_deadbeef'), { rows })).json).toMatchObject({ success: false, code: 404 });
  });
});

describe('the steps route takes the job\'s agent token only', () => {
  const KEY = 'the agent-steps test secret, long enough for HS256 keys';
  let s: AuthServer;
  beforeAll(async () => {
    s = await startAuthServer({ auth: { jwtSecret: KEY } });
  }, 30_000);
  afterAll(async () => s?.close());
  const agentToken = (jobId: string) => {
    const now = Math.floor(Date.now() / 1000);
    return signJwt({ alg: 'HS256', typ: 'JWT' }, { iss: 'yoloops', aud: 'yoloops-agent', sub: `job:${jobId}`, job: jobId, jti: randomUUID(), iat: now, exp: now + 3600 }, KEY);
  };
  const externalJob = async () => {
    const id = randomUUID().replace(/-/g, '');
    expect((await s.call('POST', '/train/jobs/external', { token: s.adminToken, json: { task_id: id } })).status).toBe(200);
    return id;
  };

  test('job A\'s token on job B is a 403 and stores nothing; on A it stores; no token is a 401', async () => {
    const [a, b] = [await externalJob(), await externalJob()];
    expect((await s.call('POST', steps(b), { token: agentToken(a), json: { rows } })).json).toMatchObject({ success: false, code: 403, reason: 'wrong_job' });
    expect((await s.call('POST', steps(a), { json: { rows } })).json).toMatchObject({ success: false, code: 401 });
    expect((await s.call('POST', steps(a), { token: agentToken(a), json: { rows } })).json).toMatchObject({ success: true, code: 200 });
    const { stores, close } = await openDataRootStores(s.dataDir);
    try {
      expect(await stores.metrics.listSteps(b)).toEqual([]);
      expect((await stores.metrics.listSteps(a)).map((r) => r.step)).toEqual([10, 20]);
    } finally {
      await close();
    }
  });
});
