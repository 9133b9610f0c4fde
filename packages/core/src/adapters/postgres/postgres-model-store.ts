import { CoreError, NotFoundError } from '../../errors.js';
import type { ModelStore } from '../../models/model-store.port.js';
import type { Model } from '../../models/model.schema.js';
import { parseStoredJson, storedCopy } from '../../platform/safe-json.js';
import type { PostgresDatabase } from './postgres-database.js';
import { compareAndSetLoop } from './postgres-sql.js';

type Row = { data: string; revision: string; usage_count: number | null; last_used: string | null };

const COLUMNS = 'data, revision::text AS revision, usage_count::float8 AS usage_count, last_used';

/** The record: the JSON text with the counter columns laid over it (a key the text holds keeps its place, as on SQLite). */
const toModel = (row: Row): Model => {
  const model = parseStoredJson<Model>(row.data);
  if (row.usage_count !== null) model.usage_count = row.usage_count;
  if (row.last_used !== null) model.last_used = row.last_used;
  return model;
};

/**
 * `ModelStore` on PostgreSQL (`models` from migration 002): the record is JSON text with `created_at` and `job_id`
 * mirrored; `update` is a compare-and-set on `revision`; `usage_count`/`last_used` are columns that `recordUse`
 * moves in one `UPDATE`, so uses counted on several servers at once are all kept.
 * @example const models = createPostgresModelStore(await openPgliteDatabase());
 */
export function createPostgresModelStore(db: PostgresDatabase): ModelStore {
  const one = async (sql: string, params: unknown[]) => (await db.query<Row>(sql, params)).rows[0];
  const readRow = (modelId: string) => one(`SELECT ${COLUMNS} FROM models WHERE model_id = $1`, [modelId]);
  const values = (m: Model) => [m.created_at, m.job_id ?? null, JSON.stringify(m), m.usage_count ?? null, m.last_used ?? null];
  return {
    async create(model) {
      const { rows } = await db.query(
        `INSERT INTO models (model_id, created_at, job_id, data, usage_count, last_used) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (model_id) DO NOTHING RETURNING model_id`,
        [model.model_id, ...values(storedCopy(model))],
      );
      if (rows.length === 0) throw new CoreError('CONFLICT', `model ${model.model_id} already exists`);
    },
    get: async (modelId) => {
      const row = await readRow(modelId);
      return row && toModel(row);
    },
    list: async () => (await db.query<Row>(`SELECT ${COLUMNS} FROM models ORDER BY created_at DESC, model_id DESC`)).rows.map(toModel),
    update: (modelId, patch) =>
      compareAndSetLoop<Model>(`model ${modelId}`, async () => {
        const row = await readRow(modelId);
        if (row === undefined) throw new NotFoundError(`model not found: ${modelId}`);
        const next = storedCopy({ ...toModel(row), ...patch, model_id: modelId });
        const saved = await one(
          `UPDATE models SET created_at = $2, job_id = $3, data = $4, usage_count = $5, last_used = $6, revision = revision + 1
            WHERE model_id = $1 AND revision = $7::bigint RETURNING model_id`,
          [modelId, ...values(next), row.revision],
        );
        return saved === undefined ? { done: false } : { done: true, value: next };
      }),
    delete: async (modelId) => (await db.query('DELETE FROM models WHERE model_id = $1 RETURNING model_id', [modelId])).rows.length > 0,
    findByJob: async (jobId) => {
      const row = await one(`SELECT ${COLUMNS} FROM models WHERE job_id = $1 ORDER BY created_at DESC, model_id DESC LIMIT 1`, [jobId]);
      return row && toModel(row);
    },
    recordUse: async (modelId, at) => {
      const row = await one(
        `UPDATE models SET usage_count = COALESCE(usage_count, 0) + 1, revision = revision + 1,
           last_used = CASE WHEN last_used IS NOT NULL AND last_used COLLATE "C" > $2 COLLATE "C" THEN last_used ELSE $2 END
         WHERE model_id = $1 RETURNING ${COLUMNS}`,
        [modelId, at],
      );
      return row && toModel(row);
    },
  };
}
