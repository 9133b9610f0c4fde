import { storedCopy as clone } from '../../platform/safe-json.js';
import { CoreError, NotFoundError, ValidationError } from '../../errors.js';
import type { DatasetStore } from '../../datasets/dataset-store.port.js';
import type { Dataset, DatasetImage, ValidationReport } from '../../datasets/dataset.schema.js';

const notFound = (datasetId: string) => new NotFoundError(`dataset not found: ${datasetId}`, { details: { dataset_id: datasetId } });
const byNewest = (a: Dataset, b: Dataset) =>
  a.uploaded_at === b.uploaded_at ? (a.dataset_id < b.dataset_id ? 1 : -1) : a.uploaded_at < b.uploaded_at ? 1 : -1;

interface Version {
  images: DatasetImage[];
  report: ValidationReport;
}

/**
 * `DatasetStore` on maps; every value goes in and out as a copy, so callers never share state with it.
 * @example const datasets = createMemoryDatasetStore();
 */
export function createMemoryDatasetStore(): DatasetStore {
  const datasets = new Map<string, Dataset>();
  const versions = new Map<string, Map<string, Version>>();

  return {
    async create(dataset) {
      if (datasets.has(dataset.dataset_id)) {
        throw new CoreError('CONFLICT', `dataset ${dataset.dataset_id} already exists`, { details: { dataset_id: dataset.dataset_id } });
      }
      datasets.set(dataset.dataset_id, clone(dataset));
    },
    get: async (datasetId) => {
      const found = datasets.get(datasetId);
      return found === undefined ? undefined : clone(found);
    },
    list: async () => clone([...datasets.values()].sort(byNewest)),
    async update(datasetId, patch) {
      const current = datasets.get(datasetId);
      if (current === undefined) throw notFound(datasetId);
      const next = clone({ ...current, ...patch, dataset_id: datasetId });
      datasets.set(datasetId, next);
      return clone(next);
    },
    async transition(datasetId, from, to, patch = {}) {
      const current = datasets.get(datasetId);
      if (current === undefined || !from.includes(current.status)) return undefined;
      datasets.set(datasetId, clone({ ...current, ...patch, dataset_id: datasetId, status: to }));
      return clone(current);
    },
    async delete(datasetId) {
      versions.delete(datasetId);
      return datasets.delete(datasetId);
    },
    async putVersion(datasetId, version, images, report) {
      if (!datasets.has(datasetId)) throw notFound(datasetId);
      if (new Set(images.map((image) => image.path)).size !== images.length) {
        throw new ValidationError(`dataset ${datasetId} version ${version} lists an image path twice`, { reason: 'duplicate_image_path' });
      }
      const sorted = clone(images).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const perDataset = versions.get(datasetId) ?? new Map<string, Version>();
      perDataset.set(version, { images: sorted, report: clone(report) });
      versions.set(datasetId, perDataset);
    },
    listImages: async (datasetId, version) => clone(versions.get(datasetId)?.get(version)?.images ?? []),
    async getReport(datasetId, version) {
      const report = versions.get(datasetId)?.get(version)?.report;
      return report === undefined ? undefined : clone(report);
    },
  };
}
