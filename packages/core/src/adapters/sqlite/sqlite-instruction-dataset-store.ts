import { CoreError, NotFoundError } from '../../errors.js';
import type { InstructionDatasetStore } from '../../instructions/instruction-dataset-store.port.js';
import type { InstructionDataset } from '../../instructions/instruction.schema.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

const normalize = (dataset: InstructionDataset): InstructionDataset => parseStoredJson(JSON.stringify(dataset));

/**
 * `InstructionDatasetStore` on SQLite (`instruction_datasets`, from `MIGRATIONS`): the record is a JSON
 * column, with `created_at` and `owner_id` mirrored for ordering and filtering.
 * @example const store = createSqliteInstructionDatasetStore(openSqliteDatabase(file));
 */
export function createSqliteInstructionDatasetStore(db: SqliteDatabase): InstructionDatasetStore {
  const q = {
    insert: db.prepare<[string, string, number | null, string]>(
      'INSERT INTO instruction_datasets (id, created_at, owner_id, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    ),
    get: db.prepare<[string], string>('SELECT data FROM instruction_datasets WHERE id = ?').pluck(),
    list: db.prepare<[], string>('SELECT data FROM instruction_datasets ORDER BY created_at DESC, id DESC').pluck(),
    save: db.prepare<[string, number | null, string, string]>('UPDATE instruction_datasets SET created_at = ?, owner_id = ?, data = ? WHERE id = ?'),
    delete: db.prepare<[string]>('DELETE FROM instruction_datasets WHERE id = ?'),
  };
  const update = db.transaction((id: string, patch: Partial<InstructionDataset>): InstructionDataset => {
    const data = q.get.get(id);
    if (data === undefined) throw new NotFoundError(`instruction dataset not found: ${id}`, { details: { dataset_id: id } });
    const next = normalize({ ...parseStoredJson<InstructionDataset>(data), ...patch, id });
    q.save.run(next.created_at, next.owner_id ?? null, JSON.stringify(next), id);
    return next;
  });
  return {
    async create(dataset) {
      const record = normalize(dataset);
      if (q.insert.run(record.id, record.created_at, record.owner_id ?? null, JSON.stringify(record)).changes === 0) {
        throw new CoreError('CONFLICT', `instruction dataset ${dataset.id} already exists`, { details: { dataset_id: dataset.id } });
      }
    },
    async get(id) {
      const data = q.get.get(id);
      return data === undefined ? undefined : parseStoredJson<InstructionDataset>(data);
    },
    list: async () => q.list.all().map((data) => parseStoredJson<InstructionDataset>(data)),
    update: async (id, patch) => update.immediate(id, patch),
    delete: async (id) => q.delete.run(id).changes > 0,
  };
}
