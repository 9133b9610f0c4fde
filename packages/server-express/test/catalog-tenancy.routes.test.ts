import { createClient, type YoloopsClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, zipDirectory } from '../../../test/support/fixtures.js';
import { startAuthServer, type AuthServer } from './support/auth.js';
import { expectApiError } from './support/http.js';

/** Auth `required`: two members and the admin, each through the typed client with its own token. */
let s: AuthServer;
let alice: { id: number; api: YoloopsClient };
let bob: { id: number; api: YoloopsClient };
let admin: YoloopsClient;

beforeAll(async () => {
  s = await startAuthServer();
  const [a, b] = [await s.member('alice'), await s.member('bob')];
  alice = { id: a.id, api: createClient({ baseUrl: s.url, token: a.token }) };
  bob = { id: b.id, api: createClient({ baseUrl: s.url, token: b.token }) };
  admin = createClient({ baseUrl: s.url, token: s.adminToken });
});
afterAll(async () => {
  await Promise.all([alice?.api.close(), bob?.api.close(), admin?.close()]);
  await s?.close();
});

describe('projects of members', () => {
  test('a member owns what it creates; another member can neither see nor change it (404); the admin can', async () => {
    const p = await alice.api.projects.create({ name: 'alice only' });
    expect(p.owner_id).toBe(alice.id);
    await expectApiError(bob.api.projects.get(p.id), 404, 'Project not found');
    await expectApiError(bob.api.projects.update(p.id, { name: 'stolen' }), 404, 'Project not found');
    await expectApiError(bob.api.projects.delete(p.id), 404, 'Project not found');
    expect((await bob.api.projects.list()).projects.map((x) => x.id)).not.toContain(p.id);
    expect(await bob.api.projects.list({ owner_id: alice.id })).toEqual({ total: 0, projects: [] });
    expect(await alice.api.projects.get(p.id)).toMatchObject({ name: 'alice only' });
    const mine = await alice.api.projects.list();
    expect(mine.projects.every((x) => x.owner_id === alice.id)).toBe(true);
    expect(mine.total).toBe(mine.projects.length);
    expect((await admin.projects.list({ owner_id: alice.id })).projects.map((x) => x.id)).toContain(p.id);
    expect(await admin.projects.update(p.id, { description: 'seen by the admin' })).toMatchObject({ owner_id: alice.id, description: 'seen by the admin' });
  });

  test('a member cannot put a record into another member\'s project', async () => {
    const p = await alice.api.projects.create({ name: 'alice data' });
    await expectApiError(bob.api.catalog.datasets.create({ name: 'sneaky', project_id: p.id }), 404, 'Project not found');
    await expectApiError(bob.api.catalog.models.create({ name: 'sneaky', project_id: p.id }), 404, 'Project not found');
    expect(await alice.api.catalog.datasets.create({ name: 'fine', project_id: p.id })).toMatchObject({ project_id: p.id, owner_id: alice.id });
  });

  test('a project\'s owner sees what someone else put into its project, as on the S001 routes; other members still do not', async () => {
    const p = await alice.api.projects.create({ name: 'alice shared' });
    const byAdmin = await admin.catalog.datasets.create({ name: 'put there by the admin', project_id: p.id });
    expect(byAdmin.owner_id).not.toBe(alice.id);
    expect(await alice.api.catalog.datasets.get(byAdmin.id)).toMatchObject({ id: byAdmin.id, project_id: p.id });
    expect((await alice.api.catalog.datasets.list({ project_id: p.id })).datasets.map((d) => d.id)).toEqual([byAdmin.id]);
    await expectApiError(bob.api.catalog.datasets.get(byAdmin.id), 404, 'Dataset not found');
    expect((await bob.api.catalog.datasets.list()).datasets.map((d) => d.id)).not.toContain(byAdmin.id);
  });
});

describe('datasets, models and tasks of members', () => {
  test('another member\'s records and uploads are 404 to read, upload, delete, and absent from lists', async () => {
    const record = await alice.api.catalog.datasets.create({ name: 'alice coco8' });
    const { dataset } = await alice.api.catalog.datasets.upload(record.id, { data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' });
    const dsId = dataset.dataset_id!;
    const task = await alice.api.tasks.get(dsId);
    expect(task).toMatchObject({ type: 'dataset_preparation', owner_id: alice.id, status: 'completed' });
    for (const ref of [record.id, dsId]) {
      await expectApiError(bob.api.catalog.datasets.get(ref), 404, 'Dataset not found');
      await expectApiError(bob.api.catalog.datasets.delete(ref), 404, 'Dataset not found');
    }
    for (const ref of [task.id, dsId]) await expectApiError(bob.api.tasks.get(ref), 404, 'Task not found');
    const bobs = await bob.api.catalog.datasets.create({ name: 'bob record' });
    await expectApiError(alice.api.catalog.datasets.upload(bobs.id, { data: Buffer.from('x'), filename: 'x.zip' }), 404, 'Dataset not found');
    expect((await bob.api.catalog.datasets.list()).datasets.map((d) => d.id)).toEqual([bobs.id]);
    expect((await alice.api.catalog.datasets.list()).datasets.map((d) => d.id)).not.toContain(bobs.id);
    expect((await admin.catalog.datasets.list()).datasets.map((d) => d.id)).toEqual(expect.arrayContaining([record.id, bobs.id]));

    expect((await bob.api.tasks.list()).tasks.map((x) => x.resource_id)).not.toContain(dsId);
    expect(await admin.tasks.get(task.id)).toEqual(task);

    const model = await bob.api.catalog.models.create({ name: 'bob model' });
    await expectApiError(alice.api.catalog.models.get(model.id), 404, 'Model not found');
    expect((await alice.api.catalog.models.list()).models.map((m) => m.id)).not.toContain(model.id);
    expect(await bob.api.catalog.models.delete(model.id)).toBeUndefined();
  });
});
