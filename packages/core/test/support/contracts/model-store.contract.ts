import { describe, expect, test } from 'vitest';
import type { ModelStore } from '../../../src/models/model-store.port.js';
import type { Model } from '../../../src/models/model.schema.js';

const model = (id: string, overrides: Partial<Model> = {}): Model => ({
  model_id: id, task: 'detect', source: 'trained', classes: ['person', 'car'], created_at: '2024-01-15T12:00:00.000Z',
  weights: [{ file: 'best.onnx', format: 'onnx', size: 10, sha256: 'ab' }], weights_path: `/data/models/${id}/weights/best.onnx`,
  file_size: 10, file_size_mb: 0, ...overrides,
});

/** The behaviour every `ModelStore` adapter must have. */
export function describeModelStoreContract(name: string, factory: () => Promise<ModelStore> | ModelStore): void {
  describe(`ModelStore contract: ${name}`, () => {
    test('round-trips a model with all optional fields', async () => {
      const store = await factory();
      const full = model('m1', { name: 'n', description: 'd', tags: ['a'], job_id: 'job_1', dataset_id: 'ds_1', base_model: 'yolov8n.pt', imgsz: 640, epochs: 3, updated_at: 'x' });
      await store.create(full);
      expect(await store.get('m1')).toEqual(full);
      expect(await store.get('nope')).toBeUndefined();
    });

    test('refuses a duplicate id with CONFLICT', async () => {
      const store = await factory();
      await store.create(model('m1'));
      await expect(store.create(model('m1'))).rejects.toMatchObject({ code: 'CONFLICT' });
    });

    test('lists newest first, ties by id descending', async () => {
      const store = await factory();
      await store.create(model('a', { created_at: '2024-01-01T00:00:00Z' }));
      await store.create(model('b', { created_at: '2024-02-01T00:00:00Z' }));
      await store.create(model('c', { created_at: '2024-02-01T00:00:00Z' }));
      expect((await store.list()).map((m) => m.model_id)).toEqual(['c', 'b', 'a']);
    });

    test('update merges, drops undefined keys, keeps the id; unknown id is NOT_FOUND', async () => {
      const store = await factory();
      await store.create(model('m1', { description: 'old' }));
      const next = await store.update('m1', { name: 'new', description: undefined, model_id: 'evil' });
      expect(next).toMatchObject({ model_id: 'm1', name: 'new' });
      expect(next).not.toHaveProperty('description');
      expect(await store.get('m1')).toEqual(next);
      await expect(store.update('nope', { name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    test('finds the model of a job and deletes', async () => {
      const store = await factory();
      await store.create(model('m1', { job_id: 'job_a' }));
      expect((await store.findByJob('job_a'))?.model_id).toBe('m1');
      expect(await store.findByJob('job_b')).toBeUndefined();
      expect(await store.delete('m1')).toBe(true);
      expect(await store.delete('m1')).toBe(false);
      expect(await store.findByJob('job_a')).toBeUndefined();
    });

    test('recordUse counts each of 25 concurrent uses and keeps the latest time; a missing model is undefined', async () => {
      const store = await factory();
      await store.create(model('m1', { name: 'llm' }));
      const times = Array.from({ length: 25 }, (_, i) => `2024-01-15T12:00:${String((i * 7) % 25).padStart(2, '0')}.000Z`);
      await Promise.all(times.map((at) => store.recordUse('m1', at)));
      expect(await store.get('m1')).toMatchObject({ name: 'llm', usage_count: 25, last_used: '2024-01-15T12:00:24.000Z' });
      expect(await store.recordUse('m1', '2024-01-15T11:00:00.000Z')).toMatchObject({ usage_count: 26, last_used: '2024-01-15T12:00:24.000Z' });
      expect(await store.recordUse('m1', '2024-01-16T00:00:00.000Z')).toMatchObject({ usage_count: 27, last_used: '2024-01-16T00:00:00.000Z' });
      expect(await store.recordUse('nope', 'T')).toBeUndefined();
      expect(await store.get('nope')).toBeUndefined();
    });

    test('stored data cannot pollute prototypes', async () => {
      const store = await factory();
      await store.create(JSON.parse('{"model_id":"p","task":"detect","source":"uploaded","classes":[],"created_at":"t","weights":[],"weights_path":"x","file_size":0,"file_size_mb":0,"__proto__":{"admin":true}}') as Model);
      await store.list();
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  });
}
