import { CoreError, NotFoundError } from '../../errors.js';
import type { ModelStore } from '../../models/model-store.port.js';
import type { Model } from '../../models/model.schema.js';
import { storedCopy } from '../../platform/safe-json.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

const latest = (stored: string | undefined, at: string) => (stored !== undefined && stored > at ? stored : at);

/**
 * `ModelStore` on SQLite: the record is a JSON column, with `created_at` and `job_id` mirrored for
 * ordering and lookup.
 * @example const models = createSqliteModelStore(openSqliteDatabase(file));
 */
export function createSqliteModelStore(db: SqliteDatabase): ModelStore {
  const q = {
    insert: db.prepare<[string, string, string | null, string]>(
      'INSERT INTO models (model_id, created_at, job_id, data) VALUES (?, ?, ?, ?) ON CONFLICT (model_id) DO NOTHING',
    ),
    get: db.prepare<[string], string>('SELECT data FROM models WHERE model_id = ?').pluck(),
    list: db.prepare<[], string>('SELECT data FROM models ORDER BY created_at DESC, model_id DESC').pluck(),
    save: db.prepare<[string, string | null, string, string]>('UPDATE models SET created_at = ?, job_id = ?, data = ? WHERE model_id = ?'),
    delete: db.prepare<[string]>('DELETE FROM models WHERE model_id = ?'),
    byJob: db.prepare<[string], string>('SELECT data FROM models WHERE job_id = ? ORDER BY created_at DESC LIMIT 1').pluck(),
  };
  const read = (text: string | undefined) => (text === undefined ? undefined : parseStoredJson<Model>(text));
  return {
    async create(model) {
      const row = storedCopy(model);
      if (q.insert.run(row.model_id, row.created_at, row.job_id ?? null, JSON.stringify(row)).changes === 0) {
        throw new CoreError('CONFLICT', `model ${model.model_id} already exists`);
      }
    },
    get: async (modelId) => read(q.get.get(modelId)),
    list: async () => q.list.all().map((text) => parseStoredJson<Model>(text)),
    async update(modelId, patch) {
      return db.transaction(() => {
        const current = read(q.get.get(modelId));
        if (!current) throw new NotFoundError(`model not found: ${modelId}`);
        const next = storedCopy({ ...current, ...patch, model_id: modelId });
        q.save.run(next.created_at, next.job_id ?? null, JSON.stringify(next), modelId);
        return next;
      }).immediate();
    },
    delete: async (modelId) => q.delete.run(modelId).changes > 0,
    findByJob: async (jobId) => read(q.byJob.get(jobId)),
    async recordUse(modelId, at) {
      return db.transaction(() => {
        const current = read(q.get.get(modelId));
        if (!current) return undefined;
        const next = storedCopy({ ...current, usage_count: (current.usage_count ?? 0) + 1, last_used: latest(current.last_used, at) });
        q.save.run(next.created_at, next.job_id ?? null, JSON.stringify(next), modelId);
        return next;
      }).immediate();
    },
  };
}
