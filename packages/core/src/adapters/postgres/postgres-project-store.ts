import type { Project, ProjectStore } from '../../catalog/project-store.port.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import { parseStoredJson, storedCopy } from '../../platform/safe-json.js';
import type { PostgresDatabase } from './postgres-database.js';
import { isInt4 } from './postgres-values.js';

type Row = Omit<Project, 'settings'> & { settings: string };

const toProject = (row: Row): Project => ({ ...row, settings: parseStoredJson<Record<string, unknown>>(row.settings) });
const COLUMNS = 'id, name, description, owner_id, status, settings, created_at, updated_at';

/**
 * `ProjectStore` on PostgreSQL (`projects` from migration 3): ids come from an identity sequence, so a deleted
 * project's id is never reused and two servers never hand out the same one; an update is one `UPDATE … RETURNING`.
 * @example const projects = createPostgresProjectStore(await openPgliteDatabase());
 */
export function createPostgresProjectStore(db: PostgresDatabase, deps: { clock?: Clock } = {}): ProjectStore {
  const clock = deps.clock ?? systemClock;
  return {
    async create(input) {
      const now = clock.now().toISOString();
      const { rows } = await db.query<Row>(
        `INSERT INTO projects (name, description, owner_id, status, settings, created_at, updated_at) VALUES ($1, $2, $3, 'active', $4, $5, $5) RETURNING ${COLUMNS}`,
        [input.name, input.description ?? null, input.owner_id, JSON.stringify(storedCopy(input.settings ?? {})), now],
      );
      return toProject(rows[0]!);
    },
    async get(id) {
      if (!isInt4(id)) return undefined;
      const row = (await db.query<Row>(`SELECT ${COLUMNS} FROM projects WHERE id = $1`, [id])).rows[0];
      return row && toProject(row);
    },
    async list({ owner_id, skip, limit }) {
      if (owner_id !== undefined && !isInt4(owner_id)) return { total: 0, projects: [] };
      const owner = owner_id ?? null;
      const [count, page] = await Promise.all([
        db.query<{ total: number }>('SELECT count(*)::int AS total FROM projects WHERE $1::int IS NULL OR owner_id = $1', [owner]),
        db.query<Row>(`SELECT ${COLUMNS} FROM projects WHERE $1::int IS NULL OR owner_id = $1 ORDER BY id LIMIT $2 OFFSET $3`, [owner, limit, skip]),
      ]);
      return { total: count.rows[0]!.total, projects: page.rows.map(toProject) };
    },
    async update(id, patch) {
      if (!isInt4(id)) return undefined;
      const { rows } = await db.query<Row>(
        `UPDATE projects SET name = coalesce($2, name), description = CASE WHEN $3::boolean THEN $4 ELSE description END,
           status = coalesce($5, status), settings = coalesce($6, settings), updated_at = $7 WHERE id = $1 RETURNING ${COLUMNS}`,
        [
          id, patch.name ?? null, patch.description !== undefined, patch.description ?? null, patch.status ?? null,
          patch.settings === undefined ? null : JSON.stringify(storedCopy(patch.settings)), clock.now().toISOString(),
        ],
      );
      return rows[0] && toProject(rows[0]);
    },
    delete: async (id) => isInt4(id) && (await db.query('DELETE FROM projects WHERE id = $1 RETURNING id', [id])).rows.length > 0,
  };
}
