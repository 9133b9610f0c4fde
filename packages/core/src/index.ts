export {
  CoreError, ValidationError, NotFoundError, InvalidStateError, TooLargeError, UnsupportedError, isCoreError,
  type CoreErrorCode, type CoreErrorOptions,
} from './errors.js';
export { systemClock, type Clock } from './platform/clock.port.js';
export { createId, RESOURCE_ID_PATTERN } from './platform/ids.js';
export type { BlobStore, BlobReader, BlobStat, WriteOptions } from './storage/blob-store.port.js';
export { parseBlobKey } from './storage/blob-key.js';

export {
  DatasetSchema, DatasetStatusSchema, DatasetLayoutSchema, SplitNameSchema, SplitRatioSchema, ValidationIssueSchema, ValidationReportSchema,
  type Dataset, type DatasetStatus, type DatasetLayout, type DatasetImage, type SplitName, type SplitRatio, type ValidationIssue, type ValidationReport,
} from './datasets/dataset.schema.js';
export type { DatasetStore } from './datasets/dataset-store.port.js';
export type { ImageProbe, ImageInfo } from './datasets/image-probe.port.js';
export { createDatasetService, type DatasetService, type DatasetServiceDeps, type PreparedDataset } from './datasets/dataset-service.js';
export { DEFAULT_DATASET_LIMITS, type DatasetLimits } from './datasets/dataset-limits.js';
export type { PrepareRequest } from './datasets/prepare-dataset.js';
export { detectLayout, type DetectedLayout, type LayoutImage } from './datasets/detect-layout.js';
export { renderDataYaml, type DataYamlOptions } from './datasets/data-yaml.js';
export { parseYamlClassNames, parseClassesTxt } from './datasets/dataset-classes.js';
export { assignSplits, validateSplitRatio } from './datasets/split/seeded-split.js';
export { openSafeZip, type SafeZip, type ZipEntryInfo } from './datasets/zip/open-safe-zip.js';
export { checkEntryName } from './datasets/zip/check-entry-name.js';
export { DEFAULT_ZIP_LIMITS, resolveZipLimits, type ZipLimits } from './datasets/zip/zip-limits.js';

export { parseYoloLabels, serializeYoloLabels, type YoloRow, type LabelIssue, type ParsedYoloLabels } from './labels/yolo-labels.js';
export { yoloToPixelBox, pixelBoxToYolo } from './labels/box-convert.js';
export { formatFixed } from './labels/format-fixed.js';

export {
  AnnotationTaskSchema, PixelBoxSchema, TaskItemSchema,
  type AnnotationTask, type PixelBox, type TaskItem, type ImageAnnotation, type StoredTaskItem,
} from './annotations/annotation.schema.js';
export type { AnnotationStore } from './annotations/annotation-store.port.js';
export { createAnnotationService, type AnnotationService, type AnnotationServiceDeps } from './annotations/annotation-service.js';
