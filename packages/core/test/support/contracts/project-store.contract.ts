import { describe, expect, test } from 'vitest';
import type { ProjectStore } from '../../../src/catalog/project-store.port.js';

/** The behaviour every `ProjectStore` adapter must have. */
export function describeProjectStoreContract(name: string, factory: () => Promise<ProjectStore> | ProjectStore): void {
  describe(`ProjectStore contract: ${name}`, () => {
    test('creates active projects numbered from 1 and reads them back', async () => {
      const store = await factory();
      const a = await store.create({ name: 'Cats', description: 'detector', owner_id: 3, settings: { imgsz: 640, tags: ['a'] } });
      expect(a).toMatchObject({ id: 1, name: 'Cats', description: 'detector', owner_id: 3, status: 'active', settings: { imgsz: 640, tags: ['a'] } });
      expect(a.updated_at).toBe(a.created_at);
      expect(Number.isNaN(Date.parse(a.created_at))).toBe(false);
      const b = await store.create({ name: 'Dogs', owner_id: null });
      expect(b).toMatchObject({ id: 2, description: null, owner_id: null, settings: {} });
      expect(await store.get(1)).toEqual(a);
      expect(await store.get(99)).toBeUndefined();
    });

    test('lists oldest first with total before skip/limit, filtered by owner', async () => {
      const store = await factory();
      for (const [i, owner] of [1, 2, 1, 1, null].entries()) await store.create({ name: `p${i}`, owner_id: owner });
      const all = await store.list({ skip: 0, limit: 100 });
      expect(all.total).toBe(5);
      expect(all.projects.map((p) => p.name)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
      const page = await store.list({ skip: 1, limit: 2 });
      expect(page).toMatchObject({ total: 5 });
      expect(page.projects.map((p) => p.name)).toEqual(['p1', 'p2']);
      const mine = await store.list({ owner_id: 1, skip: 1, limit: 10 });
      expect(mine.total).toBe(3);
      expect(mine.projects.map((p) => p.name)).toEqual(['p2', 'p3']);
      expect(await store.list({ skip: 10, limit: 10 })).toEqual({ total: 5, projects: [] });
    });

    test('update changes only the given fields and moves updated_at', async () => {
      const store = await factory();
      const p = await store.create({ name: 'a', description: 'd', owner_id: 1, settings: { x: 1 } });
      const next = await store.update(p.id, { name: 'b', settings: { y: 2 } });
      expect(next).toMatchObject({ id: p.id, name: 'b', description: 'd', owner_id: 1, status: 'active', settings: { y: 2 }, created_at: p.created_at });
      expect(next && next.updated_at >= p.updated_at).toBe(true);
      expect(await store.update(p.id, { description: null, status: 'archived' })).toMatchObject({ name: 'b', description: null, status: 'archived' });
      expect(await store.get(p.id)).toMatchObject({ name: 'b', description: null, status: 'archived', settings: { y: 2 } });
      expect(await store.update(42, { name: 'z' })).toBeUndefined();
    });

    test('delete reports whether it existed and ids are never reused', async () => {
      const store = await factory();
      await store.create({ name: 'a', owner_id: null });
      const b = await store.create({ name: 'b', owner_id: null });
      expect(await store.delete(b.id)).toBe(true);
      expect(await store.delete(b.id)).toBe(false);
      expect(await store.get(b.id)).toBeUndefined();
      expect((await store.create({ name: 'c', owner_id: null })).id).toBe(3);
      expect((await store.list({ skip: 0, limit: 10 })).total).toBe(2);
    });

    test('returned projects are copies and stored settings cannot pollute prototypes', async () => {
      const store = await factory();
      const p = await store.create({ name: 'a', owner_id: null, settings: JSON.parse('{"__proto__":{"admin":true},"n":1}') as Record<string, unknown> });
      p.settings.n = 2;
      expect((await store.get(p.id))?.settings).toEqual({ n: 1 });
      await store.list({ skip: 0, limit: 10 });
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  });
}
