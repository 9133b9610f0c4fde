import { z } from 'zod';

export const DatasetStatusSchema = z
  .enum(['uploaded', 'preparing', 'prepared'])
  .meta({ id: 'DatasetStatus', description: 'uploaded → preparing → prepared (a failed prepare returns to the previous status and sets `error`).' });
export type DatasetStatus = z.infer<typeof DatasetStatusSchema>;

export const SplitNameSchema = z.enum(['train', 'val', 'test']).meta({ id: 'SplitName' });
export type SplitName = z.infer<typeof SplitNameSchema>;

export const DatasetLayoutSchema = z
  .enum(['ultralytics', 'roboflow', 'images-labels', 'flat'])
  .meta({ id: 'DatasetLayout', description: 'How the uploaded ZIP was organised.' });
export type DatasetLayout = z.infer<typeof DatasetLayoutSchema>;

export const ValidationIssueSchema = z
  .object({
    file: z.string().describe('Path inside the uploaded ZIP.'),
    line: z.number().int().optional().describe('1-based line number for label files.'),
    code: z.string().describe('Stable machine-readable code, e.g. `coordinate_out_of_range`.'),
    message: z.string(),
  })
  .meta({ id: 'ValidationIssue' });
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

export const ValidationReportSchema = z
  .object({
    layout: DatasetLayoutSchema,
    root: z.string().describe('Top folder the dataset was found under ("" for the ZIP root).'),
    images_total: z.number().int(),
    images_valid: z.number().int(),
    images_invalid: z.number().int(),
    background_images: z.number().int().describe('Valid images with no label lines (kept; not an error).'),
    label_files: z.number().int(),
    labels_without_image: z.number().int(),
    label_lines_valid: z.number().int(),
    label_lines_invalid: z.number().int(),
    ignored_entries: z.number().int().describe('Entries that are neither images, labels nor dataset YAML.'),
    issues: z.array(ValidationIssueSchema),
    issues_truncated: z.number().int().describe('Issues not listed because the list is capped.'),
  })
  .meta({ id: 'ValidationReport' });
export type ValidationReport = z.infer<typeof ValidationReportSchema>;

export const SplitRatioSchema = z
  .object({
    train: z.number().min(0).max(1),
    val: z.number().min(0).max(1),
    test: z.number().min(0).max(1).optional(),
  })
  .meta({ id: 'SplitRatio' });
export type SplitRatio = z.infer<typeof SplitRatioSchema>;

export const DatasetSchema = z
  .object({
    dataset_id: z.string(),
    filename: z.string(),
    size: z.number().int().describe('Bytes of the uploaded ZIP.'),
    sha256: z.string(),
    uploaded_at: z.string(),
    created_at: z.string().describe('Same as uploaded_at (the API document calls it created_at).'),
    status: DatasetStatusSchema,
    versions: z.array(z.string()),
    version: z.string().optional(),
    image_count: z.number().int().optional(),
    label_count: z.number().int().optional(),
    classes: z.array(z.string()).optional(),
    prepared_at: z.string().optional(),
    train_count: z.number().int().optional(),
    val_count: z.number().int().optional(),
    test_count: z.number().int().optional(),
    layout: DatasetLayoutSchema.optional(),
    split_seed: z.number().int().optional(),
    split_source: z.enum(['zip', 'seeded']).optional(),
    data_yaml: z.string().optional().describe('Path of data.yaml (absolute on local storage).'),
    description: z.string().optional(),
    tags: z.array(z.string()).optional(),
    updated_at: z.string().optional(),
    error: z.string().optional().describe('Why the last prepare failed, if it did.'),
    prepare_server_id: z.string().optional().describe('Several servers on one database: the server instance running the prepare in progress (absent otherwise).'),
  })
  .meta({ id: 'Dataset' });
export type Dataset = z.infer<typeof DatasetSchema>;

/** One prepared image of a dataset version, as stored (sizes with EXIF orientation applied). */
export interface DatasetImage {
  /** Key relative to the version dir: `images/train/a.jpg`. */
  path: string;
  split: SplitName;
  width: number;
  height: number;
  /** Label key relative to the version dir, when a label file exists. */
  label_path?: string;
}
