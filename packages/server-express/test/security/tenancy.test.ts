import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type YoloopsClient } from '@yoloops/client';
import type { ResourceKind } from '@yoloops/core';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { allRoutes, createApp } from '@yoloops/server-express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROUTE_RESOURCES } from '../../src/routes/route-resources.js';
import { fixturePath, zipDirectory } from '../../../../test/support/fixtures.js';
import { TEST_PASSWORD_COST } from '../support/auth.js';
import { rawRequest, type RawResponse } from '../support/http.js';
import { SCRIPTED_TRAINER, waitFor } from '../support/training.js';
import { smallJpeg } from './payloads.js';

// E2 (security-and-faults §5.E): user B's token on user A's dataset, annotation task, job, model and
// inference session — every route of the route table that names one, by id and by number → 404 in the
// route's dialect and nothing changes; lists show a member its own; the admin sees all. E6: unknown
// query parameters → 400 naming them. Auth `required`, real SQLite, real HTTP, the scripted trainer.

const KEYS = ['data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}', 'project={project}', 'name={name}', 'exist_ok=True'];
let dataDir: string;
let platform: NodePlatform;
let http: Server;
let url: string;
const tokens: Record<'alice' | 'bob' | 'admin', string> = { alice: '', bob: '', admin: '' };
let alice: YoloopsClient;
let bob: YoloopsClient;
let admin: YoloopsClient;
/** Alice's resources by kind (and the image of her task). */
const mine: Record<Exclude<ResourceKind, 'task'>, string> & { image: string } = { dataset: '', model: '', job: '', annotation_task: '', inference_session: '', image: '000000000009' };
let bobDataset: string;
/** `/static/` paths of one image of Alice's session and of her dataset. */
const images: string[] = [];

const call = (who: keyof typeof tokens, method: 'GET' | 'POST' | 'PUT' | 'DELETE', p: string, json?: unknown): Promise<RawResponse> =>
  rawRequest(url, method, p, {
    headers: { authorization: `Bearer ${tokens[who]}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
/** Everything of Alice's as she reads it (compared before and after Bob's attempts). */
const aliceSees = async () => ({
  dataset: await alice.datasets.get(mine.dataset),
  items: await alice.annotations.listItems(mine.annotation_task),
  boxes: await alice.annotations.getItem(mine.annotation_task, mine.image),
  job: await alice.training.get(mine.job),
  epochs: (await alice.training.metrics(mine.job)).epochs,
  log: await alice.logs.lines(mine.job),
  model: await alice.models.get(mine.model),
  session: (await alice.inference.downloadSession(mine.inference_session)).length,
});
let before: Awaited<ReturnType<typeof aliceSees>>;
const numberOf = async (kind: ResourceKind, id: string) => (await platform.resources.get(kind, id))!.number;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-tenancy-'));
  platform = await createNodePlatform({
    dataDir, accounts: { passwordCost: TEST_PASSWORD_COST },
    jobs: {
      agentCommand: null, concurrency: 2, stopGraceMs: 2000, watchdogMs: 60_000, env: { SCRIPTED_TRAINER_EPOCH_MS: '50' },
      trainerCommand: { train: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', ...KEYS], resume: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', 'resume', 'model={model}'] },
    },
  });
  const app = createApp({ services: platform, auth: { mode: 'required' }, rateLimits: false, log: () => {} });
  http = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  for (const [name, role] of [['alice', 'member'], ['bob', 'member'], ['admin', 'admin']] as const) {
    const user = await platform.accounts.createUser({ username: name, password: `${name} has a long password`, role });
    tokens[name] = (await platform.accounts.issueToken(user)).token;
  }
  [alice, bob, admin] = [tokens.alice, tokens.bob, tokens.admin].map((token) => createClient({ baseUrl: url, token })) as [YoloopsClient, YoloopsClient, YoloopsClient];

  const zip = await zipDirectory(fixturePath('datasets/coco8'));
  mine.dataset = (await alice.datasets.upload({ data: zip, filename: 'coco8.zip' })).dataset_id;
  await alice.datasets.prepare(mine.dataset);
  bobDataset = (await bob.datasets.upload({ data: zip, filename: 'bob.zip' })).dataset_id;
  await bob.datasets.prepare(bobDataset);
  mine.annotation_task = (await alice.annotations.createTask({ dataset_id: mine.dataset })).task_id;
  mine.job = (await alice.training.create({ dataset_id: mine.dataset, epochs: 2 })).job_id;
  await waitFor(() => alice.training.get(mine.job), (j) => j.status === 'completed', 30_000);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(readFileSync(fixturePath('models/yolov8n_int8.onnx')))]), 'best.onnx');
  const weights = await fetch(`${url}/api/agent/tasks/${mine.job}/weights`, { method: 'POST', body: form, headers: { authorization: `Bearer ${tokens.alice}` } });
  mine.model = ((await weights.json()) as { data: { model_id: string } }).data.model_id;
  const session = await alice.inference.exportSession(mine.model, [{ data: smallJpeg(), filename: 'a.jpg' }]);
  mine.inference_session = session.session_id;
  images.push(`inference_results/${session.session_id}/images/${session.results[0]!.image_uuid}.jpg`);
  images.push((await alice.datasets.get(mine.dataset)).sample_images[0]!);
  before = await aliceSees();
}, 120_000);

afterAll(async () => {
  await Promise.all([alice?.close(), bob?.close(), admin?.close()]);
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  platform?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Bodies that would change something if the route ran, so a 404 shows the check and not a validation error. */
const VALID_BODIES: Record<string, Record<string, unknown>> = {
  createTrainingJob: { epochs: 1 }, extendTrainingJob: { epochs: 1 }, prepareDataset: { seed: 7, resplit: true },
  updateDataset: { description: 'stolen' }, updateModel: { name: 'stolen' }, saveTaskItem: { boxes: [{ class_id: 0, x1: 1, y1: 1, x2: 9, y2: 9 }] },
};

/** Every route whose resources the access middleware checks, once with Alice's ids and once with their numbers. */
const CASES = allRoutes.flatMap((route) => {
  const declared = ROUTE_RESOURCES[route.operationId];
  if (!declared || !('refs' in declared)) return [];
  return (['id', 'number'] as const).map((by) => ({ route, refs: declared.refs, by, label: `${route.method.toUpperCase()} ${route.path} by ${by}` }));
});

describe('E2: another member\'s resources', () => {
  test('the route table gives every kind of resource routes to attack', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(2 * 30);
  });

  test.each(CASES)('$label → 404 in the route\'s dialect', async ({ route, refs, by }) => {
    const ref = async (kind: ResourceKind) => {
      const id = mine[kind as keyof typeof mine];
      return by === 'id' ? id : String(await numberOf(kind, id));
    };
    let p = route.path;
    const query: string[] = [];
    const body: Record<string, unknown> = { ...VALID_BODIES[route.operationId] };
    for (const r of refs) {
      const value = await ref(r.kind);
      if (r.in === 'path') p = p.replace(`{${r.name}}`, encodeURIComponent(value));
      else if (r.in === 'query') query.push(`${r.name}=${encodeURIComponent(value)}`);
      else body[r.name] = by === 'number' ? Number(value) : value;
    }
    if (route.operationId === 'createTrainingJob') delete body.base_model_id; // the dataset alone; base_model_id below
    p = p.replace('{image_id}', mine.image);
    const method = route.method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'DELETE';
    const res = await call('bob', method, `${p}${query.length ? `?${query.join('&')}` : ''}`, method === 'GET' || method === 'DELETE' ? undefined : body);
    expect(res.status, res.text).toBe(404);
    const dialect = route.dialect ?? 's001';
    if (dialect === 's000') expect(res.json).toMatchObject({ code: 404, message: '模型不存在', data: null });
    else if (dialect === 's003') expect(res.json).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.stringMatching(/not found/i) }, request_id: expect.any(String) });
    else expect(res.json).toMatchObject({ detail: expect.stringMatching(/not found/i) });
  });

  test('a base model of another member is a 404 too, and nothing was queued for Bob', async () => {
    for (const ref of [mine.model, String(await numberOf('model', mine.model))]) {
      const res = await call('bob', 'POST', '/train/jobs', { dataset_id: bobDataset, base_model_id: ref, epochs: 1 });
      expect(res.status, res.text).toBe(404);
      expect(res.json).toMatchObject({ detail: `Base model ${ref} not found`, code: 'base_model_not_found' });
    }
    expect((await bob.training.list()).jobs).toEqual([]);
  });

  test('a batch run names Alice\'s model as unknown to Bob and never runs it', async () => {
    const res = await bob.inference.batch([mine.model, String(await numberOf('model', mine.model))], [{ data: smallJpeg(), filename: 'b.jpg' }]);
    expect(res.results).toEqual([
      { model_id: mine.model, error: 'Model not found', images: [] },
      { model_id: String(await numberOf('model', mine.model)), error: 'Model not found', images: [] },
    ]);
    expect((await alice.inference.batch([String(await numberOf('model', mine.model))], [{ data: smallJpeg(), filename: 'a.jpg' }])).results[0]).toMatchObject({ model_id: mine.model, images: [expect.any(Object)] });
  });

  test('a seed 004 report with Bob\'s user token for Alice\'s job is refused and stores nothing', async () => {
    const before = (await alice.training.metrics(mine.job)).epochs;
    const res = await call('bob', 'POST', '/api/model/train/notify/result', { trainTaskId: mine.job, epoch: 99, loss: 0.1 });
    expect(res.json).toMatchObject({ success: false, code: 403 }); // the auth policy: only the job's agent, owner or an admin
    expect((await alice.training.metrics(mine.job)).epochs).toEqual(before);
  });

  test('her dataset and session images under /static are a 404 to Bob, as missing files are', async () => {
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect((await call('alice', 'GET', `/static/${image}`)).status, image).toBe(200);
      expect((await call('admin', 'GET', `/static/${image}`)).status, image).toBe(200);
      const res = await call('bob', 'GET', `/static/${image}`);
      expect({ status: res.status, json: res.json }, image).toEqual({ status: 404, json: { detail: 'Not Found', code: 'not_found' } });
    }
  });

  test('after all of it Alice\'s resources are intact', async () => {
    expect(before.items.total_items).toBeGreaterThan(0);
    expect(before.job.status).toBe('completed');
    expect(before.log.lines.length).toBeGreaterThan(0);
    expect(before.session).toBeGreaterThan(100);
    expect(await aliceSees()).toEqual(before);
  });
});

describe('lists, the admin and numbers', () => {
  test('a member lists only its own datasets, jobs and models; the admin lists everyone\'s', async () => {
    expect((await bob.datasets.list()).datasets.map((d) => d.dataset_id)).toEqual([bobDataset]);
    expect((await bob.training.list()).jobs).toEqual([]);
    expect((await bob.models.list()).models).toEqual([]);
    expect((await alice.datasets.list()).datasets.map((d) => d.dataset_id)).toEqual([mine.dataset]);
    expect((await alice.training.list()).jobs.map((j) => j.job_id)).toEqual([mine.job]);
    expect((await alice.models.list()).models.map((m) => m.model_id)).toEqual([mine.model]);
    expect((await admin.datasets.list()).datasets.map((d) => d.dataset_id).sort()).toEqual([mine.dataset, bobDataset].sort());
    expect((await admin.training.list()).jobs.map((j) => j.job_id)).toEqual([mine.job]);
  });

  test('what Alice makes is hers: the job\'s model is owned by the job\'s owner', async () => {
    const aliceId = (await alice.auth.me()).id;
    for (const kind of ['dataset', 'annotation_task', 'job', 'model', 'inference_session'] as const) {
      expect((await platform.resources.get(kind, mine[kind]))?.owner_id, kind).toBe(aliceId);
    }
  });

  test('S001 routes take a resource\'s number wherever they take its id; an unknown number is a 404', async () => {
    const n = (kind: ResourceKind) => numberOf(kind, mine[kind as keyof typeof mine]);
    expect((await call('alice', 'GET', `/datasets/${await n('dataset')}`)).json).toMatchObject({ dataset_id: mine.dataset });
    expect((await call('admin', 'GET', `/train/jobs/${await n('job')}`)).json).toMatchObject({ job_id: mine.job });
    expect((await call('alice', 'GET', `/models/${await n('model')}`)).json).toMatchObject({ model_id: mine.model });
    expect((await call('alice', 'GET', `/logs/lines?job_id=${await n('job')}`)).json).toMatchObject({ returned: expect.any(Number) });
    expect((await call('alice', 'GET', `/annotations/tasks/${await n('annotation_task')}/items`)).json).toMatchObject({ task_id: mine.annotation_task });
    expect((await call('alice', 'GET', `/api/models/${await n('model')}/training-metrics`)).json).toMatchObject({ code: 200, data: { model_info: { model_id: mine.model } } });
    expect((await call('alice', 'GET', `/infer/results/${await n('inference_session')}/export`)).status).toBe(200);
    for (const who of ['alice', 'admin'] as const) {
      expect((await call(who, 'GET', '/datasets/99999')).json).toMatchObject({ detail: 'Dataset not found' });
      expect((await call(who, 'GET', '/api/models/99999/training-metrics')).json).toMatchObject({ code: 404, message: '模型不存在', data: null });
    }
    const byNumber = await call('alice', 'POST', '/train/jobs', { dataset_id: await n('dataset'), epochs: 1 });
    expect(byNumber.json, byNumber.text).toMatchObject({ dataset_id: mine.dataset, status: 'queued' });
    const second = (byNumber.json as { job_id: string }).job_id;
    await waitFor(() => alice.training.get(second), (j) => j.status === 'completed' || j.status === 'failed', 30_000);
    expect((await call('alice', 'DELETE', `/train/jobs/${second}`)).status).toBe(200);
    const extended = await call('alice', 'POST', `/train/jobs/${await n('job')}/extend`, { epochs: 1 });
    expect(extended.status, extended.text).toBe(200);
    const child = (extended.json as { job_id: string; parent_job_id: string });
    expect(child.parent_job_id).toBe(mine.job);
    expect((await platform.resources.get('job', child.job_id))?.owner_id).toBe((await alice.auth.me()).id);
    await waitFor(() => alice.training.get(child.job_id), (j) => j.status === 'completed' || j.status === 'failed', 30_000);
    expect((await call('alice', 'DELETE', `/train/jobs/${await numberOf('job', child.job_id)}`)).status).toBe(200);
    expect(await platform.resources.get('job', child.job_id)).toBeUndefined();
  });
});

describe('projects', () => {
  test('a member sees what belongs to a project it owns, though someone else made it; another member does not', async () => {
    const project = await alice.projects.create({ name: 'alice project' });
    const { dataset_id } = await admin.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'admin.zip' });
    expect((await call('alice', 'GET', `/datasets/${dataset_id}`)).status).toBe(404);
    await platform.resources.update('dataset', dataset_id, { project_id: project.id });
    expect((await call('alice', 'GET', `/datasets/${dataset_id}`)).json).toMatchObject({ dataset_id });
    expect((await alice.datasets.list()).datasets.map((d) => d.dataset_id)).toContain(dataset_id);
    expect((await call('bob', 'GET', `/datasets/${dataset_id}`)).status).toBe(404);
    expect((await bob.datasets.list()).datasets.map((d) => d.dataset_id)).not.toContain(dataset_id);
  });

  test('seed 002\'s numbers are the S001 routes\' numbers', async () => {
    const [record] = (await alice.catalog.datasets.list()).datasets.filter((d) => d.dataset_id === mine.dataset);
    expect((await call('alice', 'GET', `/datasets/${record!.id}`)).json).toMatchObject({ dataset_id: mine.dataset });
    const [model] = (await alice.catalog.models.list()).models.filter((m) => m.model_id === mine.model);
    expect((await call('alice', 'GET', `/models/${model!.id}`)).json).toMatchObject({ model_id: mine.model });
  });
});

describe('E6: query parameters no route declares', () => {
  test.each([
    ['/datasets?sort=owner.tokenHash', 'sort'],
    ['/models?filter[user][token][startsWith]=a', 'filter[user][token][startsWith]'],
    ['/train/jobs?owner_id=1', 'owner_id'],
    ['/api/v1/projects?sort=owner.tokenHash', 'sort'],
    ['/api/v1/datasets?skip=0&filter[owner][password_hash]=x', 'filter[owner][password_hash]'],
  ])('GET %s → 400 naming %s, with nothing of any account in it', async (p, name) => {
    const res = await call('bob', 'GET', p);
    expect(res.status, res.text).toBe(400);
    expect(res.json).toMatchObject({ detail: expect.stringContaining(JSON.stringify(name)), code: 'unknown_query_parameter' });
    expect(res.text).not.toMatch(/scrypt\$|alice/);
  });

  test('declared parameters still work, and no list carries a hash or a token', async () => {
    const res = await call('admin', 'GET', '/api/v1/datasets?skip=0&limit=5');
    expect(res.status, res.text).toBe(200);
    for (const p of ['/datasets', '/models', '/train/jobs', '/api/v1/datasets', '/api/v1/models', '/api/v1/tasks', '/api/v1/users']) {
      const text = (await call('admin', 'GET', p)).text;
      expect(text, p).not.toMatch(/scrypt\$|password_hash|token_hash/);
      for (const token of Object.values(tokens)) expect(text, p).not.toContain(token);
    }
  });
});
