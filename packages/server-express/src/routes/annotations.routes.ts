import { AnnotationTaskSchema, PixelBoxSchema, TaskItemSchema } from '@yoloops/core';
import { z } from 'zod';
import { defineRoute, type Route } from '../http/route.js';
import { projectOf, recordOwner } from './ownership.js';
import { errorResponses, imageIdParam, refParam } from './params.js';

const TaskParams = z.object({ task_id: refParam('task_id', 'annotation task', 'task_…') });
const ItemParams = z.object({ task_id: TaskParams.shape.task_id, image_id: imageIdParam });

const CreatedTaskSchema = AnnotationTaskSchema.extend({
  total_items: z.number().int().describe('Same as total_images (the API document\'s name).'),
  annotated_count: z.number().int(),
}).meta({ id: 'CreatedTask' });

const ItemDetailSchema = TaskItemSchema.omit({ annotated: true, has_annotation: true }).extend({
  boxes: z.array(PixelBoxSchema),
  classes: z.array(z.string()),
  updated_at: z.string().optional(),
  source: z.enum(['imported', 'manual']).optional(),
}).meta({ id: 'TaskItemDetail' });

export const annotationRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/annotations/tasks', operationId: 'createAnnotationTask', summary: 'Create a task over a prepared dataset, importing its labels', tags: ['annotations'],
    body: z.object({
      dataset_id: refParam('dataset_id', 'dataset', 'ds_…'),
      version: z.string().regex(/^v\d{1,6}$/).nullish(),
      classes: z.array(z.string()).max(10_000).nullish(),
    }).meta({ id: 'CreateTaskRequest' }),
    responses: { 200: { description: 'Created', schema: CreatedTaskSchema }, ...errorResponses(400, 404, 409, 422) },
    handler: async ({ body, res, services }) => {
      const task = await services.annotations.createTask(body);
      await recordOwner(services, res, 'annotation_task', task.task_id, { project_id: await projectOf(services, 'dataset', task.dataset_id) });
      return task;
    },
  }),
  defineRoute({
    method: 'get', path: '/annotations/tasks/{task_id}/items', operationId: 'listTaskItems', summary: 'Images of a task and whether each is annotated', tags: ['annotations'],
    params: TaskParams,
    responses: {
      200: {
        description: 'Items',
        schema: z.object({
          task_id: z.string(), items: z.array(TaskItemSchema), classes: z.array(z.string()),
          imported_annotations: z.number().int(), total_items: z.number().int(), annotated_count: z.number().int(),
        }).meta({ id: 'TaskItems' }),
      },
      ...errorResponses(400, 404),
    },
    handler: ({ params, services }) => services.annotations.listItems(params.task_id),
  }),
  defineRoute({
    method: 'get', path: '/annotations/tasks/{task_id}/items/{image_id}', operationId: 'getTaskItem', summary: 'Boxes of one image', tags: ['annotations'],
    params: ItemParams,
    responses: { 200: { description: 'The item', schema: ItemDetailSchema }, ...errorResponses(400, 404) },
    handler: ({ params, services }) => services.annotations.getItem(params.task_id, params.image_id),
  }),
  defineRoute({
    method: 'post', path: '/annotations/tasks/{task_id}/items/{image_id}', operationId: 'saveTaskItem', summary: 'Replace the boxes of one image (pixels, x1,y1,x2,y2)', tags: ['annotations'],
    params: ItemParams,
    body: z.object({ boxes: z.array(PixelBoxSchema).max(10_000) }).meta({ id: 'SaveBoxesRequest' }),
    responses: {
      200: {
        description: 'Saved',
        schema: z.object({ ok: z.literal(true), message: z.string(), image_id: z.string(), box_count: z.number().int(), updated_at: z.string() }).meta({ id: 'SaveBoxesResult' }),
      },
      ...errorResponses(400, 404, 422),
    },
    handler: ({ params, body, services }) => services.annotations.saveItem(params.task_id, params.image_id, body.boxes),
  }),
  defineRoute({
    method: 'get', path: '/annotations/tasks/{task_id}/export', operationId: 'exportTaskYolo', summary: 'Write the task\'s boxes as YOLO label files into the dataset', tags: ['annotations'],
    params: TaskParams, query: z.object({ format: z.string().default('yolo') }),
    responses: {
      200: {
        description: 'Exported',
        schema: z.object({
          ok: z.literal(true), exported_count: z.number().int(), classes_updated: z.boolean().describe('The dataset took the task\'s classes (its data.yaml was rewritten).'), dropped_boxes: z.number().int().describe('Boxes wholly outside their image.'),
          labels_dir: z.string(), message: z.string(),
          errors: z.array(z.string()).optional().describe('Per-image problems (e.g. an image gone after a new prepare); those images were not exported.'),
        }).meta({ id: 'ExportResult' }),
      },
      ...errorResponses(400, 404, 409),
    },
    handler: ({ params, query, services }) => services.annotations.exportYolo(params.task_id, query.format),
  }),
];
