import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAuthServer, type AuthServer } from '../support/auth.js';
import { signJwt } from '../support/raw-http.js';

const KEY = 'the agent-scope test secret, long enough for HS256 keys';
const RESULT = '/api/model/train/notify/result';
const STATUS = '/api/model/train/notify/status';

/** The token the server puts in a job's trainer environment (`accounts.issueAgentToken`), minted with the test's key. */
function agentToken(jobId: string): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ alg: 'HS256', typ: 'JWT' }, { iss: 'yoloops', aud: 'yoloops-agent', sub: `job:${jobId}`, job: jobId, jti: randomUUID(), iat: now, exp: now + 3600 }, KEY);
}
const hex = () => randomUUID().replace(/-/g, '');

let s: AuthServer;
let owner: { id: number; token: string };
let other: { id: number; token: string };
beforeAll(async () => {
  s = await startAuthServer({ auth: { jwtSecret: KEY } });
  owner = await s.member('owner');
  other = await s.member('other');
});
afterAll(async () => s.close());

/** An external job registered by `token`'s user, with its notify URL. */
async function externalJob(token: string): Promise<{ id: string; notifyUrl: string }> {
  const id = hex();
  const res = await s.call('POST', '/train/jobs/external', { token, json: { task_id: id } });
  expect(res.status, res.text).toBe(200);
  const job = res.json as { job_id: string; external: boolean; notify_url: string };
  expect(job).toMatchObject({ job_id: id, external: true, status: 'queued' });
  return { id, notifyUrl: job.notify_url };
}
const epochsOf = async (id: string) => ((await s.call('GET', `/train/jobs/${id}/metrics`, { token: s.adminToken })).json as { epochs: Array<{ epoch: number }> }).epochs.map((e) => e.epoch);
const statusOf = async (id: string) => ((await s.call('GET', `/train/jobs/${id}`, { token: s.adminToken })).json as { status: string }).status;

describe('E3: an agent token reports for its own job only', () => {
  test('job A\'s token on job B\'s notify and weights routes is a 403 and stores nothing; on its own job it works', async () => {
    const a = await externalJob(owner.token);
    const b = await externalJob(owner.token);
    const tokenA = agentToken(a.id);
    const forB = await s.call('POST', RESULT, { token: tokenA, json: { trainTaskId: b.id, epoch: 1, loss: 0.5 } });
    expect(forB.json).toMatchObject({ success: false, code: 403, reason: 'wrong_job' });
    const statusB = await s.call('POST', STATUS, { token: tokenA, json: { trainTaskId: b.id, statusType: 4, failureMessage: 'sabotage' } });
    expect(statusB.json).toMatchObject({ success: false, code: 403 });
    const weightsB = await s.call('POST', `/api/agent/tasks/${b.id}/weights`, { token: tokenA, headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--\r\n' });
    expect(weightsB.json).toMatchObject({ success: false, code: 403 });
    expect(await epochsOf(b.id)).toEqual([]);
    expect(await statusOf(b.id)).toBe('queued');
    const own = await s.call('POST', RESULT, { token: tokenA, json: { trainTaskId: a.id, epoch: 1, loss: 0.5 } });
    expect(own.json).toMatchObject({ success: true, code: 200 });
    expect(await epochsOf(a.id)).toEqual([1]);
  });

  test('an agent token on user routes is a 403: it lists, reads and creates nothing', async () => {
    const a = await externalJob(owner.token);
    const token = agentToken(a.id);
    for (const [method, path] of [['GET', '/train/jobs'], ['GET', `/train/jobs/${a.id}`], ['GET', '/datasets'], ['GET', '/api/v1/auth/me'], ['GET', '/api/v1/users'], ['POST', '/train/jobs/external']] as const) {
      const res = await s.call(method, path, { token, ...(method === 'POST' ? { json: { task_id: hex() } } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(JSON.stringify(res.json)).toMatch(/agent_token/);
    }
  });

  test('a user token reports for a job it owns, an admin\'s for any; another member\'s is a 403', async () => {
    const a = await externalJob(owner.token);
    expect((await s.call('POST', RESULT, { token: other.token, json: { trainTaskId: a.id, epoch: 1, loss: 1 } })).json).toMatchObject({ success: false, code: 403, reason: 'not_job_owner' });
    expect(await epochsOf(a.id)).toEqual([]);
    expect((await s.call('POST', RESULT, { token: owner.token, json: { trainTaskId: a.id, epoch: 1, loss: 1 } })).json).toMatchObject({ success: true });
    expect((await s.call('POST', RESULT, { token: s.adminToken, json: { trainTaskId: a.id, epoch: 2, loss: 0.8 } })).json).toMatchObject({ success: true });
    expect(await epochsOf(a.id)).toEqual([1, 2]);
  });

  test('another member does not see the job it does not own through POST /train/jobs/external', async () => {
    const a = await externalJob(owner.token);
    const res = await s.call('POST', '/train/jobs/external', { token: other.token, json: { task_id: a.id } });
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.json)).not.toContain('/notify/');
    expect((await s.call('POST', '/train/jobs/external', { token: owner.token, json: { task_id: 'job_1' } })).status).toBe(400);
  });
});

describe('notify URLs: a seed 004 caller that sends no header', () => {
  test('replays the caller through the job\'s notify URL: 1, 2, epochs, 3 — all stored', async () => {
    const { id, notifyUrl } = await externalJob(owner.token);
    expect(notifyUrl).toMatch(new RegExp(`^${s.url}/notify/${id}/[A-Za-z0-9_-]{32}/$`));
    const base = notifyUrl.slice(s.url.length);
    const replies = [];
    replies.push((await s.call('POST', `${base}api/model/train/notify/status`, { json: { trainTaskId: id, statusType: 1 } })).json);
    replies.push((await s.call('POST', `${base}api/model/train/notify/status`, { json: { trainTaskId: id, statusType: 2 } })).json);
    for (const epoch of [1, 2, 3]) {
      replies.push((await s.call('POST', `${base}api/model/train/notify/result`, { json: { trainTaskId: id, epoch, accuracy: 0.6 + epoch / 100, loss: 1 / epoch, valAccuracy: 0.5, valLoss: 1.1, f1Score: 0.4 } })).json);
    }
    replies.push((await s.call('POST', `${base}api/model/train/notify/status`, { json: { trainTaskId: id, statusType: 3 } })).json);
    expect(replies.map((r) => (r as { success: boolean }).success)).toEqual([true, true, true, true, true, true]);
    expect(await epochsOf(id)).toEqual([1, 2, 3]);
    expect(await statusOf(id)).toBe('completed');
    // The list shows the same URL to its owner.
    const list = (await s.call('GET', '/train/jobs', { token: owner.token })).json as { jobs: Array<{ job_id: string; notify_url: string }> };
    expect(list.jobs.find((j) => j.job_id === id)?.notify_url).toBe(notifyUrl);
  });

  test('a wrong secret, another job\'s secret, or a body for another job is success:false 403 and stores nothing', async () => {
    const a = await externalJob(owner.token);
    const b = await externalJob(owner.token);
    const secretA = a.notifyUrl.split('/').at(-2)!;
    const wrong = `${secretA.slice(0, -4)}${secretA.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const attempts = [
      [`/notify/${a.id}/${wrong}${RESULT}`, { trainTaskId: a.id, epoch: 1, loss: 9 }],
      [`/notify/${b.id}/${secretA}${RESULT}`, { trainTaskId: b.id, epoch: 1, loss: 9 }],
      [`/notify/${a.id}/${secretA}${RESULT}`, { trainTaskId: b.id, epoch: 1, loss: 9 }],
      [`/notify/${a.id}/${wrong}${STATUS}`, { trainTaskId: a.id, statusType: 4 }],
    ] as const;
    for (const [path, body] of attempts) {
      const res = await s.call('POST', path, { json: body });
      expect(res.status).toBe(200);
      expect(res.json, path).toMatchObject({ success: false, code: 403, data: null });
    }
    expect(await epochsOf(a.id)).toEqual([]);
    expect(await epochsOf(b.id)).toEqual([]);
    expect(await statusOf(a.id)).toBe('queued');
    const malformed = await s.call('POST', `/notify/${a.id}/short${RESULT}`, { json: { trainTaskId: a.id, epoch: 1 } });
    expect(malformed.json).toMatchObject({ success: false, code: 400, reason: 'validation_error', msg: expect.stringContaining('secret') });
  });

  test('without a token the plain notify routes are refused in required mode (success:false 401), nothing registered', async () => {
    const id = hex();
    const res = await s.call('POST', STATUS, { json: { trainTaskId: id, statusType: 2 } });
    expect(res.json).toMatchObject({ success: false, code: 401 });
    expect((await s.call('GET', `/train/jobs/${id}`, { token: s.adminToken })).status).toBe(404);
  });
});
