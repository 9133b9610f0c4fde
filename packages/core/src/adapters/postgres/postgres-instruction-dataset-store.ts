import { CoreError, NotFoundError } from '../../errors.js';
import type { InstructionDatasetStore } from '../../instructions/instruction-dataset-store.port.js';
import type { InstructionDataset } from '../../instructions/instruction.schema.js';
import { parseStoredJson, storedCopy } from '../../platform/safe-json.js';
import type { PostgresDatabase } from './postgres-database.js';

const parse = (data: string): InstructionDataset => parseStoredJson<InstructionDataset>(data);

/**
 * `InstructionDatasetStore` on PostgreSQL (`instruction_datasets` from migration 3): the record is JSON text, with
 * `created_at` and `owner_id` mirrored for ordering and filtering; an update reads the row `FOR UPDATE`, so two
 * servers patching one record at once both land.
 * @example const store = createPostgresInstructionDatasetStore(await openPgliteDatabase());
 */
export function createPostgresInstructionDatasetStore(db: PostgresDatabase): InstructionDatasetStore {
  return {
    async create(dataset) {
      const record = storedCopy(dataset);
      const { rows } = await db.query(
        'INSERT INTO instruction_datasets (id, created_at, owner_id, data) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id',
        [record.id, record.created_at, record.owner_id ?? null, JSON.stringify(record)],
      );
      if (rows.length === 0) throw new CoreError('CONFLICT', `instruction dataset ${dataset.id} already exists`, { details: { dataset_id: dataset.id } });
    },
    async get(id) {
      const row = (await db.query<{ data: string }>('SELECT data FROM instruction_datasets WHERE id = $1', [id])).rows[0];
      return row && parse(row.data);
    },
    list: async () => (await db.query<{ data: string }>('SELECT data FROM instruction_datasets ORDER BY created_at DESC, id DESC')).rows.map((row) => parse(row.data)),
    update: (id, patch) =>
      db.transaction(async (tx) => {
        const row = (await tx.query<{ data: string }>('SELECT data FROM instruction_datasets WHERE id = $1 FOR UPDATE', [id])).rows[0];
        if (row === undefined) throw new NotFoundError(`instruction dataset not found: ${id}`, { details: { dataset_id: id } });
        const next = storedCopy({ ...parse(row.data), ...patch, id });
        await tx.query('UPDATE instruction_datasets SET created_at = $2, owner_id = $3, data = $4 WHERE id = $1', [id, next.created_at, next.owner_id ?? null, JSON.stringify(next)]);
        return next;
      }),
    delete: async (id) => (await db.query('DELETE FROM instruction_datasets WHERE id = $1 RETURNING id', [id])).rows.length > 0,
  };
}
