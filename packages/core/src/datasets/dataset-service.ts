import type { Readable } from 'node:stream';
import { InvalidStateError, NotFoundError, ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { createId } from '../platform/ids.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import { DEFAULT_DATASET_LIMITS, type DatasetLimits } from './dataset-limits.js';
import type { DatasetStore } from './dataset-store.port.js';
import type { Dataset, ValidationReport } from './dataset.schema.js';
import { exportDatasetZip } from './export-dataset.js';
import type { ImageProbe } from './image-probe.port.js';
import { prepareDatasetVersion, uploadKey, VERSION, versionKey, type PrepareRequest } from './prepare-dataset.js';
import { cleanFilename, storeZipUpload } from './upload-dataset.js';
import { recoverableHere, type ServerLiveness } from '../servers/server-liveness.js';

export interface DatasetServiceDeps {
  datasets: DatasetStore;
  blobs: BlobStore;
  images: ImageProbe;
  clock: Clock;
  limits?: Partial<DatasetLimits>;
  /** Several servers on one database: prepares record this server as their owner, and recovery leaves a live other server's alone. */
  servers?: ServerLiveness;
}

export type PreparedDataset = Dataset & { report: ValidationReport; data_yaml: string };

/**
 * Dataset use cases: upload a ZIP, prepare it into a YOLO dataset version, read, edit, export, delete.
 * @example
 * const service = createDatasetService({ datasets, blobs, images, clock: systemClock });
 * const ds = await service.upload({ filename: 'coco8.zip', body: fs.createReadStream('coco8.zip') });
 * const prepared = await service.prepare(ds.dataset_id, { split_ratio: { train: 0.8, val: 0.2 }, seed: 1 });
 */
export function createDatasetService(deps: DatasetServiceDeps) {
  const { datasets, blobs, clock } = deps;
  const limits: DatasetLimits = { ...DEFAULT_DATASET_LIMITS, ...deps.limits };
  const now = () => clock.now().toISOString();

  async function mustGet(datasetId: string): Promise<Dataset> {
    const dataset = await datasets.get(datasetId);
    if (!dataset) throw new NotFoundError('Dataset not found', { details: { dataset_id: datasetId } });
    return dataset;
  }

  async function mustGetVersion(datasetId: string, version: string) {
    const dataset = await mustGet(datasetId);
    if (!/^v\d{1,6}$/.test(version)) throw new ValidationError(`invalid version "${version}" (expected v1, v2, …)`, { reason: 'invalid_version' });
    if (dataset.status === 'preparing') {
      throw new InvalidStateError(`Dataset ${datasetId} is being prepared; try again when that ends`, { reason: 'preparing' });
    }
    if (dataset.status !== 'prepared') {
      const failed = dataset.error ? `; its last prepare failed: ${dataset.error}` : '';
      throw new NotFoundError(`Dataset ${datasetId} is not prepared yet (status "${dataset.status}"): prepare it first${failed}`, { reason: 'not_prepared' });
    }
    if (!dataset.versions.includes(version)) {
      throw new NotFoundError(`Dataset ${datasetId} has no version ${version} (it has ${dataset.versions.join(', ') || 'none'})`, { reason: 'version_not_found' });
    }
    return dataset;
  }

  return {
    async upload(input: { filename: string; body: Readable }): Promise<Dataset> {
      const filename = cleanFilename(input.filename);
      if (!/\.zip$/i.test(filename)) {
        input.body.resume();
        throw new ValidationError(`Only zip files are allowed (got "${filename}")`, { reason: 'not_zip' });
      }
      const datasetId = createId('ds', clock);
      const stored = await storeZipUpload(blobs, uploadKey(datasetId), input.body, {
        maxBytes: limits.maxUploadBytes, zip: limits.zip, label: `upload "${filename}"`,
      });
      const at = now();
      const dataset: Dataset = { dataset_id: datasetId, filename, ...stored, uploaded_at: at, created_at: at, status: 'uploaded', versions: [] };
      await datasets.create(dataset);
      return dataset;
    },

    async prepare(datasetId: string, request: PrepareRequest = {}): Promise<PreparedDataset> {
      const owner = deps.servers === undefined ? {} : { prepare_server_id: deps.servers.instanceId };
      const before = await datasets.transition(datasetId, ['uploaded', 'prepared'], 'preparing', owner);
      if (!before) {
        await mustGet(datasetId);
        throw new InvalidStateError(`Dataset ${datasetId} is already being prepared`, { reason: 'preparing' });
      }
      try {
        const prepared = await prepareDatasetVersion({ blobs, images: deps.images, limits }, datasetId, request);
        await datasets.putVersion(datasetId, prepared.version, prepared.images, prepared.report);
        const dataset = await datasets.update(datasetId, { ...prepared.patch, status: 'prepared', prepared_at: now(), error: undefined, prepare_server_id: undefined });
        return { ...dataset, report: prepared.report, data_yaml: prepared.patch.data_yaml ?? '' };
      } catch (error) {
        await datasets.update(datasetId, { status: before.status, error: error instanceof Error ? error.message : String(error), prepare_server_id: undefined });
        throw error;
      }
    },

    list: () => datasets.list(),

    async get(datasetId: string): Promise<Dataset & { report?: ValidationReport; sample_images: string[] }> {
      const dataset = await mustGet(datasetId);
      if (dataset.status !== 'prepared') return { ...dataset, sample_images: [] };
      const images = await datasets.listImages(datasetId, VERSION);
      const report = await datasets.getReport(datasetId, VERSION);
      const sample_images = images.slice(0, 5).map((i) => `${versionKey(datasetId)}/${i.path}`);
      return { ...dataset, ...(report ? { report } : {}), sample_images };
    },

    async update(datasetId: string, patch: { description?: string | null; tags?: string[] | null }): Promise<Dataset> {
      await mustGet(datasetId);
      return datasets.update(datasetId, {
        ...(patch.description != null ? { description: patch.description } : {}),
        ...(patch.tags != null ? { tags: patch.tags } : {}),
        updated_at: now(),
      });
    },

    async delete(datasetId: string): Promise<void> {
      const dataset = await mustGet(datasetId);
      if (dataset.status === 'preparing') throw new InvalidStateError(`Dataset ${datasetId} is being prepared; delete it when that ends`);
      await datasets.delete(datasetId);
      await blobs.delete(`datasets/${datasetId}`);
      await blobs.delete(uploadKey(datasetId));
    },

    async exportZip(datasetId: string, options: { version?: string; withLabels: boolean }) {
      const version = options.version ?? VERSION;
      const dataset = await mustGetVersion(datasetId, version);
      const images = await datasets.listImages(datasetId, version);
      const stream = await exportDatasetZip({
        blobs, versionKey: versionKey(datasetId, version), images, classes: dataset.classes ?? [], withLabels: options.withLabels,
      });
      return { filename: `${datasetId}_${options.withLabels ? 'annotated' : 'original'}.zip`, stream };
    },

    /** After a crash: datasets left `preparing` go back to their last stable status, except those this or another live server is preparing (safe to repeat). */
    async recoverInterrupted(): Promise<number> {
      let recovered = 0;
      const live = deps.servers === undefined ? new Set<string>() : await deps.servers.liveOthers();
      for (const d of await datasets.list()) {
        if (d.status !== 'preparing' || !recoverableHere(deps.servers, live, d.prepare_server_id)) continue;
        const target = d.versions.length > 0 ? 'prepared' : 'uploaded';
        const moved = await datasets.transition(d.dataset_id, ['preparing'], target, { error: 'prepare was interrupted by a restart', prepare_server_id: undefined });
        if (moved === undefined) continue;
        recovered += 1;
      }
      return recovered;
    },

    mustGetVersion,
  };
}

export type DatasetService = ReturnType<typeof createDatasetService>;
