import { beforeEach, describe, expect, test } from 'vitest';
import type { AnnotationStore } from '../../../src/annotations/annotation-store.port.js';
import type { AnnotationTask, ImageAnnotation, StoredTaskItem } from '../../../src/annotations/annotation.schema.js';

const task = (id: string, overrides: Partial<AnnotationTask> = {}): AnnotationTask => ({
  task_id: id,
  dataset_id: 'ds_1',
  version: 'v1',
  classes: ['cat', 'dog'],
  created_at: '2024-01-15T12:00:00.000Z',
  total_images: 3,
  imported_annotations: 1,
  ...overrides,
});

const item = (imageId: string): StoredTaskItem => ({
  image_id: imageId,
  image_path: `datasets/ds_1/v1/images/train/${imageId}.jpg`,
  width: 640,
  height: 480,
  split: 'train',
});

const annotation = (imageId: string, source: ImageAnnotation['source'] = 'manual', x1 = 10.5): ImageAnnotation => ({
  image_id: imageId,
  boxes: [
    { class_id: 0, x1, y1: 20, x2: 30.25, y2: 40 },
    { class_id: 1, x1: 0, y1: 0, x2: 640, y2: 480 },
  ],
  updated_at: '2024-01-15T12:10:00.000Z',
  source,
});

/** Insertion order that is not sorted, so a store that sorts by id fails. */
const ITEMS = [item('img_c'), item('img_a'), item('img_b')];

/**
 * Behaviour every `AnnotationStore` adapter must show; each test gets a fresh store from `factory`.
 * @example describeAnnotationStoreContract('memory', () => createMemoryAnnotationStore());
 */
export function describeAnnotationStoreContract(name: string, factory: () => Promise<AnnotationStore> | AnnotationStore): void {
  describe(`${name}: AnnotationStore contract`, () => {
    let store: AnnotationStore;
    beforeEach(async () => {
      store = await factory();
    });

    test('round-trips a task, its items in insertion order and its imported annotations', async () => {
      await store.createTask(task('t1'), ITEMS, [annotation('img_b', 'imported')]);
      expect(await store.getTask('t1')).toStrictEqual(task('t1'));
      expect(await store.listItems('t1')).toStrictEqual(ITEMS);
      expect(await store.annotatedImageIds('t1')).toEqual(new Set(['img_b']));
      expect(await store.getAnnotation('t1', 'img_b')).toStrictEqual(annotation('img_b', 'imported'));
    });

    test('unknown tasks read as undefined or empty', async () => {
      expect(await store.getTask('t_missing')).toBeUndefined();
      expect(await store.listItems('t_missing')).toEqual([]);
      expect(await store.annotatedImageIds('t_missing')).toEqual(new Set());
      expect(await store.getAnnotation('t_missing', 'img_a')).toBeUndefined();
      expect(await store.listAnnotations('t_missing')).toEqual([]);
    });

    test('createTask rejects an existing id with CONFLICT and keeps the first task', async () => {
      await store.createTask(task('t1'), ITEMS, []);
      await expect(store.createTask(task('t1', { version: 'v2' }), [item('x')], [])).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await store.getTask('t1'))?.version).toBe('v1');
      expect(await store.listItems('t1')).toStrictEqual(ITEMS);
    });

    test('createTask is all or nothing: a repeated image or a stray import stores nothing', async () => {
      await expect(store.createTask(task('t1'), [item('a'), item('a')], [])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(store.createTask(task('t2'), ITEMS, [annotation('not_an_item')])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      expect(await store.getTask('t1')).toBeUndefined();
      expect(await store.getTask('t2')).toBeUndefined();
      expect(await store.listItems('t2')).toEqual([]);
      await store.createTask(task('t2'), ITEMS, []);
      expect(await store.listItems('t2')).toStrictEqual(ITEMS);
    });

    test('saveAnnotation inserts, then replaces, boxes and source; an empty list still counts as annotated', async () => {
      await store.createTask(task('t1'), ITEMS, [annotation('img_a', 'imported')]);
      await store.saveAnnotation('t1', annotation('img_a', 'manual', 99));
      await store.saveAnnotation('t1', { image_id: 'img_c', boxes: [], updated_at: '2024-01-16T00:00:00.000Z', source: 'manual' });
      expect(await store.getAnnotation('t1', 'img_a')).toStrictEqual(annotation('img_a', 'manual', 99));
      expect(await store.getAnnotation('t1', 'img_c')).toStrictEqual({
        image_id: 'img_c',
        boxes: [],
        updated_at: '2024-01-16T00:00:00.000Z',
        source: 'manual',
      });
      expect(await store.getAnnotation('t1', 'img_b')).toBeUndefined();
      expect(await store.annotatedImageIds('t1')).toEqual(new Set(['img_a', 'img_c']));
    });

    test('listAnnotations follows item order', async () => {
      await store.createTask(task('t1'), ITEMS, []);
      for (const id of ['img_b', 'img_a', 'img_c']) await store.saveAnnotation('t1', annotation(id));
      expect((await store.listAnnotations('t1')).map((a) => a.image_id)).toEqual(['img_c', 'img_a', 'img_b']);
      expect(await store.listAnnotations('t1')).toContainEqual(annotation('img_a'));
    });

    test('saveAnnotation rejects an unknown task or image with NOT_FOUND', async () => {
      await store.createTask(task('t1'), ITEMS, []);
      await expect(store.saveAnnotation('t_missing', annotation('img_a'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(store.saveAnnotation('t1', annotation('img_zzz'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await store.annotatedImageIds('t1')).toEqual(new Set());
    });

    test('tasks are separate even when they share image ids', async () => {
      await store.createTask(task('t1'), ITEMS, []);
      await store.createTask(task('t2', { dataset_id: 'ds_2' }), [item('img_a')], []);
      await store.saveAnnotation('t2', annotation('img_a'));
      expect(await store.annotatedImageIds('t1')).toEqual(new Set());
      expect(await store.listItems('t2')).toStrictEqual([item('img_a')]);
    });

    test('deleteTask removes items and annotations once; the id can be reused afresh', async () => {
      await store.createTask(task('t1'), ITEMS, [annotation('img_a', 'imported')]);
      await store.createTask(task('t2'), [item('img_a')], [annotation('img_a', 'imported')]);
      expect(await store.deleteTask('t1')).toBe(true);
      expect(await store.deleteTask('t1')).toBe(false);
      expect(await store.getTask('t1')).toBeUndefined();
      expect(await store.listItems('t1')).toEqual([]);
      expect(await store.listAnnotations('t1')).toEqual([]);
      await store.createTask(task('t1'), [item('img_a')], []);
      expect(await store.annotatedImageIds('t1')).toEqual(new Set());
      expect(await store.annotatedImageIds('t2')).toEqual(new Set(['img_a']));
    });

    test('hands out copies: changing returned values does not change the store', async () => {
      const items = [item('img_a')];
      await store.createTask(task('t1'), items, [annotation('img_a')]);
      items.push(item('img_late'));
      (await store.getTask('t1'))?.classes.push('changed');
      (await store.getAnnotation('t1', 'img_a'))?.boxes.pop();
      expect(await store.listItems('t1')).toStrictEqual([item('img_a')]);
      expect((await store.getTask('t1'))?.classes).toEqual(['cat', 'dog']);
      expect(await store.getAnnotation('t1', 'img_a')).toStrictEqual(annotation('img_a'));
    });
  });
}
