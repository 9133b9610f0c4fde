import { CoreError, NotFoundError, ValidationError } from '../../errors.js';
import type { DatasetStore } from '../../datasets/dataset-store.port.js';
import type { Dataset, DatasetImage, DatasetStatus, SplitName, ValidationReport } from '../../datasets/dataset.schema.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

interface ImageRow {
  path: string;
  split: SplitName;
  width: number;
  height: number;
  label_path: string | null;
}

const toImage = ({ label_path, ...image }: ImageRow): DatasetImage =>
  label_path === null ? image : { ...image, label_path };
/** What a record reads back as: `undefined` keys gone, `__proto__` keys dropped. */
const normalize = (dataset: Dataset): Dataset => parseStoredJson(JSON.stringify(dataset));
const notFound = (datasetId: string) => new NotFoundError(`dataset not found: ${datasetId}`, { details: { dataset_id: datasetId } });

/**
 * `DatasetStore` on SQLite (tables from `MIGRATIONS`): the full record is a JSON column, with
 * `status` and `uploaded_at` mirrored for compare-and-set and ordering.
 * @example const datasets = createSqliteDatasetStore(openSqliteDatabase(file));
 */
export function createSqliteDatasetStore(db: SqliteDatabase): DatasetStore {
  const q = {
    insert: db.prepare<[string, string, string, string]>(
      'INSERT INTO datasets (dataset_id, uploaded_at, status, data) VALUES (?, ?, ?, ?) ON CONFLICT (dataset_id) DO NOTHING',
    ),
    get: db.prepare<[string], string>('SELECT data FROM datasets WHERE dataset_id = ?').pluck(),
    list: db.prepare<[], string>('SELECT data FROM datasets ORDER BY uploaded_at DESC, dataset_id DESC').pluck(),
    save: db.prepare<[string, string, string, string]>('UPDATE datasets SET uploaded_at = ?, status = ?, data = ? WHERE dataset_id = ?'),
    swap: db.prepare<[string, string, string, string]>(
      'UPDATE datasets SET status = ?, data = ? WHERE dataset_id = ? AND status IN (SELECT value FROM json_each(?))',
    ),
    delete: db.prepare<[string]>('DELETE FROM datasets WHERE dataset_id = ?'),
    putReport: db.prepare<[string, string, string]>(
      'INSERT INTO dataset_versions (dataset_id, version, report) VALUES (?, ?, ?) ON CONFLICT (dataset_id, version) DO UPDATE SET report = excluded.report',
    ),
    dropImages: db.prepare<[string, string]>('DELETE FROM dataset_images WHERE dataset_id = ? AND version = ?'),
    addImage: db.prepare<[string, string, string, string, number, number, string | null]>(
      'INSERT INTO dataset_images (dataset_id, version, path, split, width, height, label_path) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    images: db.prepare<[string, string], ImageRow>(
      'SELECT path, split, width, height, label_path FROM dataset_images WHERE dataset_id = ? AND version = ? ORDER BY path',
    ),
    report: db.prepare<[string, string], string>('SELECT report FROM dataset_versions WHERE dataset_id = ? AND version = ?').pluck(),
  };
  const read = (datasetId: string): Dataset | undefined => {
    const data = q.get.get(datasetId);
    return data === undefined ? undefined : parseStoredJson<Dataset>(data);
  };

  const update = db.transaction((datasetId: string, patch: Partial<Dataset>): Dataset => {
    const current = read(datasetId);
    if (current === undefined) throw notFound(datasetId);
    const next = normalize({ ...current, ...patch, dataset_id: datasetId });
    q.save.run(next.uploaded_at, next.status, JSON.stringify(next), datasetId);
    return next;
  });
  const transition = db.transaction((datasetId: string, from: DatasetStatus[], to: DatasetStatus, patch: Partial<Dataset>) => {
    const before = read(datasetId);
    if (before === undefined) return undefined;
    const next = normalize({ ...before, ...patch, dataset_id: datasetId, status: to });
    const { changes } = q.swap.run(to, JSON.stringify(next), datasetId, JSON.stringify(from));
    return changes === 1 ? before : undefined;
  });
  const putVersion = db.transaction((datasetId: string, version: string, images: DatasetImage[], report: ValidationReport) => {
    if (q.get.get(datasetId) === undefined) throw notFound(datasetId);
    q.putReport.run(datasetId, version, JSON.stringify(report));
    q.dropImages.run(datasetId, version);
    for (const image of images) {
      q.addImage.run(datasetId, version, image.path, image.split, image.width, image.height, image.label_path ?? null);
    }
  });

  return {
    async create(dataset) {
      const record = normalize(dataset);
      if (q.insert.run(record.dataset_id, record.uploaded_at, record.status, JSON.stringify(record)).changes === 0) {
        throw new CoreError('CONFLICT', `dataset ${dataset.dataset_id} already exists`, { details: { dataset_id: dataset.dataset_id } });
      }
    },
    get: async (datasetId) => read(datasetId),
    list: async () => q.list.all().map((data) => parseStoredJson<Dataset>(data)),
    update: async (datasetId, patch) => update.immediate(datasetId, patch),
    transition: async (datasetId, from, to, patch = {}) => transition.immediate(datasetId, from, to, patch),
    delete: async (datasetId) => q.delete.run(datasetId).changes > 0,
    async putVersion(datasetId, version, images, report) {
      try {
        putVersion.immediate(datasetId, version, images, report);
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw error;
        throw new ValidationError(`dataset ${datasetId} version ${version} lists an image path twice`, {
          reason: 'duplicate_image_path',
          cause: error,
        });
      }
    },
    listImages: async (datasetId, version) => q.images.all(datasetId, version).map(toImage),
    async getReport(datasetId, version) {
      const report = q.report.get(datasetId, version);
      return report === undefined ? undefined : parseStoredJson<ValidationReport>(report);
    },
  };
}
