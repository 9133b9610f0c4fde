import { describe, expect, test } from 'vitest';
import { CreateJobRequestSchema } from './job.schema.js';
import { BASE_DETECTORS, HYPERPARAMETER_NAMES, trainingTemplates } from './training-catalog.js';

describe('trainingTemplates', () => {
  test('each template\'s params are the job request\'s own types, ranges and defaults', () => {
    const defaults = CreateJobRequestSchema.parse({ dataset_id: 'ds_1' });
    for (const template of trainingTemplates()) {
      expect(Object.keys(template.params)).toEqual([...HYPERPARAMETER_NAMES]);
      expect(template.defaults).toEqual({ epochs: defaults.epochs, imgsz: defaults.imgsz, batch: defaults.batch });
      expect(template.params.epochs).toMatchObject({ type: 'integer', default: 10, minimum: 1, maximum: 100_000 });
      expect(template.params.imgsz).toMatchObject({ type: 'integer', default: 640, minimum: 32, maximum: 8192 });
      expect(template.params.batch).toMatchObject({ type: 'number', default: -1 });
    }
    expect(trainingTemplates().map((t) => [t.id, t.model_type])).toEqual([['yolo-detect', 'base'], ['yolo-finetune', 'fine-tune']]);
  });

  test('every base detector is a model name the job request accepts', () => {
    expect(BASE_DETECTORS.map((d) => d.id)).toEqual(['yolov8n.pt', 'yolov8s.pt', 'yolov8m.pt', 'yolov8l.pt', 'yolov8x.pt', 'yolo11n.pt', 'yolo11s.pt', 'yolo11m.pt', 'yolo11l.pt', 'yolo11x.pt']);
    for (const d of BASE_DETECTORS) expect(CreateJobRequestSchema.safeParse({ dataset_id: 'ds_1', model_name: d.id }).success, d.id).toBe(true);
  });
});
