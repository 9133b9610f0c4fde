import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../storage/blob-store.port.js';
import { buildVersion } from './build-version.js';
import { renderDataYaml } from './data-yaml.js';
import type { DatasetLimits } from './dataset-limits.js';
import type { Dataset, DatasetImage, SplitRatio, ValidationReport } from './dataset.schema.js';
import { detectLayout } from './detect-layout.js';
import type { ImageProbe } from './image-probe.port.js';
import { DEFAULT_SPLIT_RATIO, planSplits } from './plan-splits.js';
import { openSafeZip } from './zip/open-safe-zip.js';

export interface PrepareRequest {
  split_ratio?: SplitRatio | null;
  classes?: string[] | null;
  /** Seed of the split (default 0). */
  seed?: number | null;
  /** Re-split a ZIP that already has train/val folders (default false: keep them). */
  resplit?: boolean | null;
}

export interface PreparedVersion {
  version: string;
  images: DatasetImage[];
  classes: string[];
  report: ValidationReport;
  patch: Partial<Dataset>;
}

export interface PrepareDeps {
  blobs: BlobStore;
  images: ImageProbe;
  limits: DatasetLimits;
}

export const VERSION = 'v1';
export const uploadKey = (datasetId: string) => `uploads/${datasetId}.zip`;
export const versionKey = (datasetId: string, version = VERSION) => `datasets/${datasetId}/${version}`;

/**
 * Turns an uploaded dataset ZIP into the canonical layout `datasets/<id>/v1/{images,labels}/<split>/…`
 * plus data.yaml: detects the layout, splits (seeded), decodes every image, cleans labels, and publishes
 * the folder in one rename — on failure the previous version (if any) is untouched and staging is removed.
 */
export async function prepareDatasetVersion(deps: PrepareDeps, datasetId: string, request: PrepareRequest): Promise<PreparedVersion> {
  const { blobs, limits } = deps;
  const staging = `datasets/${datasetId}/.staging-${randomBytes(6).toString('hex')}`;
  const reader = await blobs.open(uploadKey(datasetId));
  try {
    const zip = await openSafeZip(reader, limits.zip);
    try {
      const detected = detectLayout(zip.entries.filter((e) => !e.isDirectory).map((e) => e.name));
      const seed = request.seed ?? 0;
      const plans = planSplits(detected.images, {
        ratio: request.split_ratio ?? DEFAULT_SPLIT_RATIO,
        seed,
        resplit: request.resplit ?? false,
      });
      const built = await buildVersion({
        zip, detected, plans, requestedClasses: request.classes, blobs, images: deps.images, staging,
        maxLabelFileBytes: limits.maxLabelFileBytes, maxIssues: limits.maxIssues, probeConcurrency: limits.probeConcurrency,
      });
      const target = versionKey(datasetId);
      const yamlPath = blobs.localPath?.(target) ?? target;
      await blobs.write(`${staging}/data.yaml`, renderDataYaml({ path: yamlPath, splits: built.splits, names: built.classes }));
      await blobs.replacePrefix(staging, target);
      const count = (split: string) => built.images.filter((i) => i.split === split).length;
      const splitFromZip = !request.resplit && detected.images.every((i) => i.split);
      return {
        version: VERSION,
        images: built.images,
        classes: built.classes,
        report: built.report,
        patch: {
          version: VERSION,
          versions: [VERSION],
          image_count: built.images.length,
          label_count: built.images.filter((i) => i.label_path).length,
          classes: built.classes,
          train_count: count('train'),
          val_count: count('val'),
          test_count: count('test'),
          layout: detected.layout,
          split_seed: seed,
          split_source: splitFromZip ? 'zip' : 'seeded',
          data_yaml: blobs.localPath?.(`${target}/data.yaml`) ?? `${target}/data.yaml`,
        },
      };
    } finally {
      await zip.close();
    }
  } finally {
    await reader.close();
    await blobs.delete(staging);
  }
}
