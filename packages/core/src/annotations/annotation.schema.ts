import { z } from 'zod';

/** A box in image pixels, top-left / bottom-right, as the annotation UI draws it. */
export const PixelBoxSchema = z
  .object({
    class_id: z.number().int().min(0),
    x1: z.number(),
    y1: z.number(),
    x2: z.number(),
    y2: z.number(),
  })
  .meta({ id: 'PixelBox' });
export type PixelBox = z.infer<typeof PixelBoxSchema>;

export const AnnotationTaskSchema = z
  .object({
    task_id: z.string(),
    dataset_id: z.string(),
    version: z.string(),
    classes: z.array(z.string()),
    created_at: z.string(),
    total_images: z.number().int(),
    imported_annotations: z.number().int(),
  })
  .meta({ id: 'AnnotationTask' });
export type AnnotationTask = z.infer<typeof AnnotationTaskSchema>;

export const TaskItemSchema = z
  .object({
    image_id: z.string(),
    image_path: z.string().describe('Relative to the data root with `/`; the image is served at `/static/<image_path>`.'),
    width: z.number().int(),
    height: z.number().int(),
    split: z.string(),
    annotated: z.boolean(),
    has_annotation: z.boolean().describe('Same as `annotated` (the API document\'s name).'),
  })
  .meta({ id: 'TaskItem' });
export type TaskItem = z.infer<typeof TaskItemSchema>;

/** The stored boxes of one image. */
export interface ImageAnnotation {
  image_id: string;
  boxes: PixelBox[];
  updated_at: string;
  source: 'imported' | 'manual';
}

/** Task item as stored (without the derived `annotated` flags). */
export type StoredTaskItem = Omit<TaskItem, 'annotated' | 'has_annotation'>;
