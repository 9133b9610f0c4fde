import { describe, expect, test } from 'vitest';
import type { ResourceIndex } from '../../../src/catalog/resource-index.port.js';

/** The behaviour every `ResourceIndex` adapter must have. */
export function describeResourceIndexContract(name: string, factory: () => Promise<ResourceIndex> | ResourceIndex): void {
  describe(`ResourceIndex contract: ${name}`, () => {
    test('ensure numbers each kind from 1 and returns an existing entry unchanged', async () => {
      const index = await factory();
      const a = await index.ensure('dataset', 'ds_a', { owner_id: 7, project_id: 3, meta: { description: 'first' } });
      expect(a).toMatchObject({ kind: 'dataset', id: 'ds_a', number: 1, owner_id: 7, project_id: 3, meta: { description: 'first' } });
      expect(typeof a.created_at).toBe('string');
      expect(Number.isNaN(Date.parse(a.created_at))).toBe(false);
      expect((await index.ensure('dataset', 'ds_b')).number).toBe(2);
      expect((await index.ensure('model', 'model_a')).number).toBe(1);
      expect(await index.ensure('dataset', 'ds_a', { owner_id: 9, project_id: null, meta: { other: 1 } })).toEqual(a);
      expect(await index.get('dataset', 'ds_a')).toEqual(a);
      expect(await index.byNumber('dataset', 2)).toMatchObject({ id: 'ds_b', owner_id: null, project_id: null, meta: {} });
      expect(await index.get('model', 'ds_a')).toBeUndefined();
      expect(await index.byNumber('job', 1)).toBeUndefined();
    });

    test('concurrent ensures of one id make one entry and one number', async () => {
      const index = await factory();
      const entries = await Promise.all(Array.from({ length: 8 }, () => index.ensure('job', 'job_x')));
      expect(new Set(entries.map((e) => e.number))).toEqual(new Set([1]));
      const many = await Promise.all(Array.from({ length: 8 }, (_, i) => index.ensure('job', `job_${i}`)));
      expect(many.map((e) => e.number).sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    });

    test('numbers are never reused after a remove', async () => {
      const index = await factory();
      await index.ensure('model', 'm1');
      await index.ensure('model', 'm2');
      await index.remove('model', 'm2');
      await index.remove('model', 'nope');
      expect(await index.get('model', 'm2')).toBeUndefined();
      expect(await index.byNumber('model', 2)).toBeUndefined();
      expect((await index.ensure('model', 'm2')).number).toBe(3);
      expect((await index.ensure('model', 'm3')).number).toBe(4);
    });

    test('lists one kind by number, filtered by owner and project', async () => {
      const index = await factory();
      await index.ensure('dataset', 'd1', { owner_id: 1, project_id: 10 });
      await index.ensure('dataset', 'd2', { owner_id: 2, project_id: 10 });
      await index.ensure('dataset', 'd3', { owner_id: 1 });
      await index.ensure('model', 'm1', { owner_id: 1, project_id: 10 });
      const ids = async (filter?: { owner_id?: number; project_id?: number }) => (await index.list('dataset', filter)).map((e) => e.id);
      expect(await ids()).toEqual(['d1', 'd2', 'd3']);
      expect(await ids({ owner_id: 1 })).toEqual(['d1', 'd3']);
      expect(await ids({ project_id: 10 })).toEqual(['d1', 'd2']);
      expect(await ids({ owner_id: 1, project_id: 10 })).toEqual(['d1']);
      expect(await ids({ owner_id: 3 })).toEqual([]);
    });

    test('update changes owner and project, merges meta, keeps the number', async () => {
      const index = await factory();
      await index.ensure('job', 'j1', { owner_id: 1, project_id: 2, meta: { a: 1, b: 'x' } });
      const next = await index.update('job', 'j1', { project_id: null, meta: { b: 'y', c: [1, 2] } });
      expect(next).toMatchObject({ number: 1, owner_id: 1, project_id: null, meta: { a: 1, b: 'y', c: [1, 2] } });
      expect(await index.get('job', 'j1')).toEqual(next);
      expect(await index.update('job', 'j1', { owner_id: 5 })).toMatchObject({ owner_id: 5, project_id: null, meta: { a: 1, b: 'y' } });
      expect(await index.update('job', 'nope', { owner_id: 1 })).toBeUndefined();
      expect(await index.get('job', 'nope')).toBeUndefined();
    });

    test('rebind points the entry at another id and keeps everything else', async () => {
      const index = await factory();
      const pending = await index.ensure('dataset', 'pending_1', { owner_id: 4, project_id: 8, meta: { name: 'cats' } });
      await index.ensure('dataset', 'ds_other');
      const bound = await index.rebind('dataset', 'pending_1', 'ds_real');
      expect(bound).toEqual({ ...pending, id: 'ds_real' });
      expect(await index.get('dataset', 'pending_1')).toBeUndefined();
      expect(await index.get('dataset', 'ds_real')).toEqual(bound);
      expect(await index.byNumber('dataset', pending.number)).toEqual(bound);
      expect(await index.rebind('dataset', 'pending_1', 'ds_z')).toBeUndefined();
      await expect(index.rebind('dataset', 'ds_real', 'ds_other')).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await index.get('dataset', 'ds_real')).toEqual(bound);
    });

    test('detachProject clears the project of every kind and nothing else', async () => {
      const index = await factory();
      await index.ensure('dataset', 'd1', { owner_id: 1, project_id: 5 });
      await index.ensure('model', 'm1', { project_id: 5, meta: { k: 'v' } });
      await index.ensure('job', 'j1', { project_id: 6 });
      await index.detachProject(5);
      expect(await index.get('dataset', 'd1')).toMatchObject({ owner_id: 1, project_id: null });
      expect(await index.get('model', 'm1')).toMatchObject({ project_id: null, meta: { k: 'v' } });
      expect(await index.get('job', 'j1')).toMatchObject({ project_id: 6 });
      expect(await index.list('dataset', { project_id: 5 })).toEqual([]);
    });

    test('returned entries are copies and stored meta cannot pollute prototypes', async () => {
      const index = await factory();
      const entry = await index.ensure('model', 'm1', { meta: JSON.parse('{"__proto__":{"admin":true},"n":1}') as Record<string, unknown> });
      entry.meta.n = 2;
      expect((await index.get('model', 'm1'))?.meta).toEqual({ n: 1 });
      await index.list('model');
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  });
}
