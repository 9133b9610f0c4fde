import type { AnnotationService, BlobStore, DatasetService } from '@yoloops/core';

/** What route handlers may use; built by `createApp` from the core platform. */
export interface AppServices {
  datasets: DatasetService;
  annotations: AnnotationService;
  blobs: BlobStore;
}
