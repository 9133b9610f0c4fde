import type { YoloopsClient } from '@yoloops/client';
import { expect } from 'vitest';
import { unzipToMap } from './fixtures.js';

/**
 * The annotation half of the S001 flow on a prepared dataset: create a task, save boxes on its first
 * image (with `classId`), export YOLO labels, download the annotated ZIP, re-upload and prepare it, and
 * check the second dataset exports byte-identical files. Returns the first export's files.
 */
export async function annotateAndRoundTrip(api: YoloopsClient, datasetId: string, classes?: string[]) {
  const task = await api.annotations.createTask({ dataset_id: datasetId, ...(classes ? { classes } : {}) });
  const { items } = await api.annotations.listItems(task.task_id);
  const first = items[0]!;
  await api.annotations.saveItem(task.task_id, first.image_id, [{ class_id: 0, x1: 1, y1: 2, x2: first.width / 2, y2: first.height / 2 }]);
  expect((await api.annotations.getItem(task.task_id, first.image_id)).boxes).toHaveLength(1);
  expect((await api.annotations.exportYolo(task.task_id)).exported_count).toBeGreaterThanOrEqual(1);
  const bytes = await api.datasets.exportAnnotated(datasetId);
  const files = await unzipToMap(bytes);
  const labelOfFirst = `labels/${first.image_path.split('/images/')[1]!.replace(/\.[^.]+$/, '.txt')}`;
  expect(files.get(labelOfFirst)?.toString().startsWith('0 ')).toBe(true);
  const again = await api.datasets.upload({ data: bytes, filename: 'round-trip.zip' });
  const prepared = await api.datasets.prepare(again.dataset_id, {});
  expect(prepared.split_source).toBe('zip');
  const files2 = await unzipToMap(await api.datasets.exportAnnotated(again.dataset_id));
  expect([...files2.keys()].sort()).toEqual([...files.keys()].sort());
  for (const [name, data] of files) expect(files2.get(name)?.equals(data), name).toBe(true);
  return files;
}
