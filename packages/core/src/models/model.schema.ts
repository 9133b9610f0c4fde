import { z } from 'zod';

export const WeightsFileSchema = z
  .object({
    file: z.string().describe('File name inside the model\'s weights folder, e.g. best.onnx.'),
    format: z.enum(['onnx', 'pt']),
    size: z.number().int(),
    sha256: z.string(),
  })
  .meta({ id: 'WeightsFile' });
export type WeightsFile = z.infer<typeof WeightsFileSchema>;

/** A registered model: the origin's model.json fields plus what yoloops records about its weights. */
export const ModelSchema = z
  .object({
    model_id: z.string(),
    name: z.string().optional(),
    description: z.string().optional(),
    tags: z.array(z.string()).optional(),
    task: z.string().describe('Ultralytics task, e.g. detect.'),
    source: z.enum(['trained', 'uploaded']),
    job_id: z.string().optional().describe('Training job that produced it.'),
    dataset_id: z.string().optional(),
    base_model: z.string().optional().describe('What training started from (e.g. yolov8n.pt or a model id).'),
    classes: z.array(z.string()),
    imgsz: z.number().int().optional(),
    epochs: z.number().int().optional(),
    weights: z.array(WeightsFileSchema),
    weights_path: z.string().describe('Main weights file (ONNX preferred), absolute on local storage.'),
    file_size: z.number().int().describe('Bytes of all weights files.'),
    file_size_mb: z.number(),
    created_at: z.string(),
    updated_at: z.string().optional(),
  })
  .meta({ id: 'Model' });
export type Model = z.infer<typeof ModelSchema>;
