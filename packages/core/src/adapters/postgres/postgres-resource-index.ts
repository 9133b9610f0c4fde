import type { ResourceEntry, ResourceIndex } from '../../catalog/resource-index.port.js';
import { CoreError } from '../../errors.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import { parseStoredJson, storedCopy } from '../../platform/safe-json.js';
import type { PostgresDatabase, PostgresQueryable } from './postgres-database.js';
import { isInt4, isUniqueViolation } from './postgres-values.js';

type Row = Omit<ResourceEntry, 'meta'> & { meta: string };

const toEntry = (row: Row): ResourceEntry => ({ ...row, meta: parseStoredJson<Record<string, unknown>>(row.meta) });
const COLUMNS = 'kind, id, number, owner_id, project_id, meta, created_at';

const readEntry = async (q: PostgresQueryable, kind: string, id: string, lock = false): Promise<ResourceEntry | undefined> => {
  const row = (await q.query<Row>(`SELECT ${COLUMNS} FROM resources WHERE kind = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`, [kind, id])).rows[0];
  return row && toEntry(row);
};

/**
 * `ResourceIndex` on PostgreSQL (`resources` and `resource_counters` from migration 3). A new entry's transaction
 * first locks its kind's counter row, then looks for the entry again, then takes the next number: servers
 * ensuring at once take turns per kind, so one id gets one entry and no number is skipped or shared.
 * @example const resources = createPostgresResourceIndex(await openPgliteDatabase());
 */
export function createPostgresResourceIndex(db: PostgresDatabase, deps: { clock?: Clock } = {}): ResourceIndex {
  const clock = deps.clock ?? systemClock;
  return {
    async ensure(kind, id, init = {}) {
      const existing = await readEntry(db, kind, id);
      if (existing) return existing;
      return db.transaction(async (tx) => {
        await tx.query('INSERT INTO resource_counters (kind, last) VALUES ($1, 0) ON CONFLICT (kind) DO NOTHING', [kind]);
        const last = (await tx.query<{ last: number }>('SELECT last FROM resource_counters WHERE kind = $1 FOR UPDATE', [kind])).rows[0]!.last;
        const raced = await readEntry(tx, kind, id);
        if (raced) return raced;
        await tx.query('UPDATE resource_counters SET last = $2 WHERE kind = $1', [kind, last + 1]);
        const { rows } = await tx.query<Row>(
          `INSERT INTO resources (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
          [kind, id, last + 1, init.owner_id ?? null, init.project_id ?? null, JSON.stringify(storedCopy(init.meta ?? {})), clock.now().toISOString()],
        );
        return toEntry(rows[0]!);
      });
    },
    get: (kind, id) => readEntry(db, kind, id),
    async byNumber(kind, number) {
      if (!isInt4(number)) return undefined;
      const row = (await db.query<Row>(`SELECT ${COLUMNS} FROM resources WHERE kind = $1 AND number = $2`, [kind, number])).rows[0];
      return row && toEntry(row);
    },
    async list(kind, filter = {}) {
      if ([filter.owner_id, filter.project_id].some((n) => n !== undefined && !isInt4(n))) return [];
      const { rows } = await db.query<Row>(
        `SELECT ${COLUMNS} FROM resources WHERE kind = $1 AND ($2::int IS NULL OR owner_id = $2) AND ($3::int IS NULL OR project_id = $3) ORDER BY number`,
        [kind, filter.owner_id ?? null, filter.project_id ?? null],
      );
      return rows.map(toEntry);
    },
    update: (kind, id, patch) =>
      db.transaction(async (tx) => {
        const current = await readEntry(tx, kind, id, true);
        if (!current) return undefined;
        const next: ResourceEntry = {
          ...current,
          owner_id: patch.owner_id === undefined ? current.owner_id : patch.owner_id,
          project_id: patch.project_id === undefined ? current.project_id : patch.project_id,
          meta: storedCopy({ ...current.meta, ...patch.meta }),
        };
        await tx.query('UPDATE resources SET owner_id = $3, project_id = $4, meta = $5 WHERE kind = $1 AND id = $2', [
          kind, id, next.owner_id, next.project_id, JSON.stringify(next.meta),
        ]);
        return next;
      }),
    async rebind(kind, fromId, toId) {
      try {
        const row = (await db.query<Row>(`UPDATE resources SET id = $3 WHERE kind = $1 AND id = $2 RETURNING ${COLUMNS}`, [kind, fromId, toId])).rows[0];
        return row && toEntry(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new CoreError('CONFLICT', `${kind} ${toId} already has a number`, { cause: error });
        throw error;
      }
    },
    async remove(kind, id) {
      await db.query('DELETE FROM resources WHERE kind = $1 AND id = $2', [kind, id]);
    },
    async detachProject(projectId) {
      if (isInt4(projectId)) await db.query('UPDATE resources SET project_id = NULL WHERE project_id = $1', [projectId]);
    },
  };
}
