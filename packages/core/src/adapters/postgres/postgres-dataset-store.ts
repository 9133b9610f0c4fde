import { CoreError, NotFoundError, ValidationError } from '../../errors.js';
import type { DatasetStore } from '../../datasets/dataset-store.port.js';
import type { Dataset, DatasetImage, DatasetStatus, SplitName, ValidationReport } from '../../datasets/dataset.schema.js';
import { parseStoredJson } from '../../platform/safe-json.js';
import type { PostgresDatabase, PostgresQueryable } from './postgres-database.js';
import { compareAndSetLoop, sqlState } from './postgres-sql.js';

interface ImageRow {
  path: string;
  split: SplitName;
  width: number;
  height: number;
  label_path: string | null;
}
type Row = { data: string; status: DatasetStatus; revision: string };

const toImage = ({ label_path, ...image }: ImageRow): DatasetImage => (label_path === null ? image : { ...image, label_path });
/** What a record reads back as: `undefined` keys gone, `__proto__` keys dropped. */
const normalize = (dataset: Dataset): Dataset => parseStoredJson(JSON.stringify(dataset));
const notFound = (datasetId: string) => new NotFoundError(`dataset not found: ${datasetId}`, { details: { dataset_id: datasetId } });

/** Replaces one version's report and image index inside `tx`; the dataset row is share-locked so it cannot go meanwhile. */
async function writeVersion(tx: PostgresQueryable, datasetId: string, version: string, images: DatasetImage[], report: ValidationReport) {
  const { rows } = await tx.query('SELECT 1 FROM datasets WHERE dataset_id = $1 FOR SHARE', [datasetId]);
  if (rows.length === 0) throw notFound(datasetId);
  await tx.query(
    `INSERT INTO dataset_versions (dataset_id, version, report) VALUES ($1, $2, $3)
     ON CONFLICT (dataset_id, version) DO UPDATE SET report = excluded.report`,
    [datasetId, version, JSON.stringify(report)],
  );
  await tx.query('DELETE FROM dataset_images WHERE dataset_id = $1 AND version = $2', [datasetId, version]);
  if (images.length === 0) return;
  await tx.query(
    `INSERT INTO dataset_images (dataset_id, version, path, split, width, height, label_path)
     SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::integer[], $6::integer[], $7::text[])`,
    [datasetId, version, images.map((i) => i.path), images.map((i) => i.split), images.map((i) => i.width), images.map((i) => i.height),
      images.map((i) => i.label_path ?? null)],
  );
}

/**
 * `DatasetStore` on PostgreSQL (tables from migration 002): the full record is JSON text with `status` and `uploaded_at`
 * mirrored; `update` and `transition` are one `UPDATE … WHERE revision = $r` (the status check is in that statement too),
 * a version's images go in with one `unnest` insert inside the version's transaction.
 * @example const datasets = createPostgresDatasetStore(await openPgliteDatabase());
 */
export function createPostgresDatasetStore(db: PostgresDatabase): DatasetStore {
  const readRow = async (datasetId: string) =>
    (await db.query<Row>('SELECT data, status, revision::text AS revision FROM datasets WHERE dataset_id = $1', [datasetId])).rows[0];
  /** Stores `next` if the row is still at `row.revision` (and, for a transition, its status is still one of `from`). */
  const save = async (datasetId: string, row: Row, next: Dataset, from: readonly DatasetStatus[] | null) =>
    (await db.query(
      `UPDATE datasets SET uploaded_at = $2, status = $3, data = $4, revision = revision + 1
        WHERE dataset_id = $1 AND revision = $5::bigint AND ($6::text[] IS NULL OR status = ANY($6::text[])) RETURNING dataset_id`,
      [datasetId, next.uploaded_at, next.status, JSON.stringify(next), row.revision, from === null ? null : [...from]],
    )).rows.length === 1;

  return {
    async create(dataset) {
      const record = normalize(dataset);
      const { rows } = await db.query(
        'INSERT INTO datasets (dataset_id, uploaded_at, status, data) VALUES ($1, $2, $3, $4) ON CONFLICT (dataset_id) DO NOTHING RETURNING dataset_id',
        [record.dataset_id, record.uploaded_at, record.status, JSON.stringify(record)],
      );
      if (rows.length === 0) throw new CoreError('CONFLICT', `dataset ${dataset.dataset_id} already exists`, { details: { dataset_id: dataset.dataset_id } });
    },
    async get(datasetId) {
      const row = await readRow(datasetId);
      return row === undefined ? undefined : parseStoredJson<Dataset>(row.data);
    },
    list: async () =>
      (await db.query<{ data: string }>('SELECT data FROM datasets ORDER BY uploaded_at DESC, dataset_id DESC')).rows.map((r) => parseStoredJson<Dataset>(r.data)),
    update: (datasetId, patch) =>
      compareAndSetLoop<Dataset>(`dataset ${datasetId}`, async () => {
        const row = await readRow(datasetId);
        if (row === undefined) throw notFound(datasetId);
        const next = normalize({ ...parseStoredJson<Dataset>(row.data), ...patch, dataset_id: datasetId });
        return (await save(datasetId, row, next, null)) ? { done: true, value: next } : { done: false };
      }),
    transition: (datasetId, from, to, patch = {}) =>
      compareAndSetLoop<Dataset | undefined>(`dataset ${datasetId}`, async () => {
        const row = await readRow(datasetId);
        if (row === undefined || !from.includes(row.status)) return { done: true, value: undefined };
        const before = parseStoredJson<Dataset>(row.data);
        const next = normalize({ ...before, ...patch, dataset_id: datasetId, status: to });
        return (await save(datasetId, row, next, from)) ? { done: true, value: before } : { done: false };
      }),
    delete: async (datasetId) => (await db.query('DELETE FROM datasets WHERE dataset_id = $1 RETURNING dataset_id', [datasetId])).rows.length > 0,
    async putVersion(datasetId, version, images, report) {
      try {
        await db.transaction((tx) => writeVersion(tx, datasetId, version, images, report));
      } catch (error) {
        if (sqlState(error) !== '23505') throw error;
        throw new ValidationError(`dataset ${datasetId} version ${version} lists an image path twice`, { reason: 'duplicate_image_path', cause: error });
      }
    },
    listImages: async (datasetId, version) =>
      (await db.query<ImageRow>(
        'SELECT path, split, width, height, label_path FROM dataset_images WHERE dataset_id = $1 AND version = $2 ORDER BY path',
        [datasetId, version],
      )).rows.map(toImage),
    async getReport(datasetId, version) {
      const { rows } = await db.query<{ report: string }>('SELECT report FROM dataset_versions WHERE dataset_id = $1 AND version = $2', [datasetId, version]);
      return rows[0] === undefined ? undefined : parseStoredJson<ValidationReport>(rows[0].report);
    },
  };
}
