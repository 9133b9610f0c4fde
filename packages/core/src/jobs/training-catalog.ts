import { z } from 'zod';
import { CreateJobRequestSchema } from './job.schema.js';

/** A pretrained detector the trainer downloads by name (Ultralytics fetches `yolov8n.pt` and friends on first use). */
export interface BaseDetector {
  /** What a job passes as `model_name`. */
  id: string;
  name: string;
  provider: 'ultralytics';
  /** Parameters, as Ultralytics' model table writes them. */
  size: string;
  /** GFLOPs at 640 px. */
  flops: string;
  type: 'base';
  framework: 'ultralytics';
  task: 'detect';
}

const detector = (id: string, name: string, size: string, flops: string): BaseDetector => ({
  id, name, provider: 'ultralytics', size, flops, type: 'base', framework: 'ultralytics', task: 'detect',
});

/**
 * The COCO-pretrained Ultralytics detectors a job can start from (`model_name`), with the parameter
 * counts and FLOPs of Ultralytics' model tables.
 * @see https://docs.ultralytics.com/models/yolov8/ and https://docs.ultralytics.com/models/yolo11/
 */
export const BASE_DETECTORS: readonly BaseDetector[] = [
  detector('yolov8n.pt', 'YOLOv8n', '3.2M', '8.7B'),
  detector('yolov8s.pt', 'YOLOv8s', '11.2M', '28.6B'),
  detector('yolov8m.pt', 'YOLOv8m', '25.9M', '78.9B'),
  detector('yolov8l.pt', 'YOLOv8l', '43.7M', '165.2B'),
  detector('yolov8x.pt', 'YOLOv8x', '68.2M', '257.8B'),
  detector('yolo11n.pt', 'YOLO11n', '2.6M', '6.5B'),
  detector('yolo11s.pt', 'YOLO11s', '9.4M', '21.5B'),
  detector('yolo11m.pt', 'YOLO11m', '20.1M', '68.0B'),
  detector('yolo11l.pt', 'YOLO11l', '25.3M', '86.9B'),
  detector('yolo11x.pt', 'YOLO11x', '56.9M', '194.9B'),
];

/** The hyperparameters a job request takes beyond dataset and model: what the trainer command fills in. */
export const HYPERPARAMETER_NAMES = ['epochs', 'imgsz', 'batch'] as const;
export type HyperparameterName = (typeof HYPERPARAMETER_NAMES)[number];

const DESCRIPTIONS: Record<HyperparameterName, string> = {
  epochs: 'Training epochs',
  imgsz: 'Square input size in pixels',
  batch: 'Images per batch: 1–4096, -1 for Ultralytics AutoBatch (60 % of GPU memory) or a fraction in (0, 1) of GPU memory',
};

/** One hyperparameter of a template: its JSON Schema type, range and default, from the job request schema. */
export interface TemplateParam {
  type: string;
  default: unknown;
  minimum?: number;
  maximum?: number;
  /** The only values taken (e.g. quantization_bit 4 or 8). */
  enum?: number[];
  /** `minimum` itself is excluded (a learning rate above 0). */
  exclusive_minimum?: boolean;
  description: string;
}

/** A way of training that really runs here. */
export interface TrainingTemplate {
  id: 'yolo-detect' | 'yolo-finetune';
  name: string;
  description: string;
  /** Which models it starts from: a pretrained detector by name, or a registered model with PyTorch weights. */
  model_type: 'base' | 'fine-tune';
  task: 'detect';
  framework: 'ultralytics';
  min_gpu_memory: string;
  params: Record<HyperparameterName, TemplateParam>;
  /** `params` defaults by name (the origin's flat `params` shape). */
  defaults: Record<HyperparameterName, unknown>;
}

function templateParams(): Record<HyperparameterName, TemplateParam> {
  const out = {} as Record<HyperparameterName, TemplateParam>;
  for (const name of HYPERPARAMETER_NAMES) {
    const schema = z.toJSONSchema(CreateJobRequestSchema.shape[name], { io: 'input' }) as Record<string, unknown>;
    const { type, default: def, minimum, maximum } = schema as { type: string; default: unknown; minimum?: number; maximum?: number };
    out[name] = { type, default: def, ...(minimum === undefined ? {} : { minimum }), ...(maximum === undefined ? {} : { maximum }), description: DESCRIPTIONS[name] };
  }
  return out;
}

/** The training templates: Ultralytics detection from a pretrained detector, and fine-tuning a registered model. */
export function trainingTemplates(): TrainingTemplate[] {
  const params = templateParams();
  const defaults = Object.fromEntries(HYPERPARAMETER_NAMES.map((n) => [n, params[n].default])) as Record<HyperparameterName, unknown>;
  const common = { task: 'detect', framework: 'ultralytics', min_gpu_memory: 'none (CPU works, slowly)', params, defaults } as const;
  return [
    {
      id: 'yolo-detect', name: 'YOLO 目标检测训练 (YOLO detection)', model_type: 'base', ...common,
      description: 'Trains an Ultralytics detector on a prepared dataset, starting from COCO-pretrained weights (yolov8n.pt…yolo11x.pt)',
    },
    {
      id: 'yolo-finetune', name: 'YOLO 模型微调 (fine-tune a registered model)', model_type: 'fine-tune', ...common,
      description: 'Continues training a registered model from its PyTorch weights (best.pt) on a prepared dataset',
    },
  ];
}
