import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AnnotationTask, ImageAnnotation, StoredTaskItem } from '../../annotations/annotation.schema.js';
import { describeAnnotationStoreContract } from '../../../test/support/contracts/annotation-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresAnnotationStore } from './postgres-annotation-store.js';

// One in-memory PGlite for the file; each test starts from empty tables.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});
const empty = () => db.query('TRUNCATE annotation_tasks, task_items, annotations');

describeAnnotationStoreContract('pglite', async () => {
  await empty();
  return createPostgresAnnotationStore(db);
});

const task: AnnotationTask = { task_id: 't1', dataset_id: 'ds_1', version: 'v1', classes: ['a'], created_at: 'T', total_images: 2000, imported_annotations: 2 };
const item = (id: string): StoredTaskItem => ({ image_id: id, image_path: `images/${id}.jpg`, width: 4, height: 3, split: 'train' });
const boxes = (x1: number, source: ImageAnnotation['source'] = 'imported'): Omit<ImageAnnotation, 'image_id'> => ({
  boxes: [{ class_id: 0, x1, y1: 0, x2: 2, y2: 2 }], updated_at: 'U', source,
});

describe('pglite: postgres AnnotationStore', () => {
  test('a task of 2000 items goes in whole, in order; an image imported twice keeps the later boxes', async () => {
    await empty();
    const store = createPostgresAnnotationStore(db);
    const items = Array.from({ length: 2000 }, (_, i) => item(`img_${(i * 7919) % 2000}`));
    await store.createTask(task, items, [{ image_id: 'img_5', ...boxes(0.5) }, { image_id: 'img_5', ...boxes(1.5) }]);
    expect(await store.listItems('t1')).toStrictEqual(items);
    expect(await store.listAnnotations('t1')).toStrictEqual([{ image_id: 'img_5', ...boxes(1.5) }]);
  });

  test('saves racing on one image leave one of them whole', async () => {
    await empty();
    const store = createPostgresAnnotationStore(db);
    await store.createTask(task, [item('a')], []);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.saveAnnotation('t1', { image_id: 'a', ...boxes(i, 'manual') })));
    const saved = await store.listAnnotations('t1');
    expect(saved).toHaveLength(1);
    expect(saved[0]?.boxes).toHaveLength(1);
    expect(saved[0]?.source).toBe('manual');
  });
});
