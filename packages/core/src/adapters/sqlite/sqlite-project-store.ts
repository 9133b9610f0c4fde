import type { Project, ProjectStore } from '../../catalog/project-store.port.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import { storedCopy } from '../../platform/safe-json.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

type Row = Omit<Project, 'settings'> & { settings: string };

const toProject = (row: Row): Project => ({ ...row, settings: parseStoredJson<Record<string, unknown>>(row.settings) });
const COLUMNS = 'id, name, description, owner_id, status, settings, created_at, updated_at';

/**
 * `ProjectStore` on SQLite; ids come from `AUTOINCREMENT`, so a deleted project's id is never reused.
 * @example const projects = createSqliteProjectStore(openSqliteDatabase(file));
 */
export function createSqliteProjectStore(db: SqliteDatabase, deps: { clock?: Clock } = {}): ProjectStore {
  const clock = deps.clock ?? systemClock;
  const q = {
    insert: db.prepare<[string, string | null, number | null, string, string, string], Row>(
      `INSERT INTO projects (name, description, owner_id, status, settings, created_at, updated_at) VALUES (?, ?, ?, 'active', ?, ?, ?) RETURNING ${COLUMNS}`,
    ),
    get: db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM projects WHERE id = ?`),
    count: db.prepare<[{ owner: number | null }], number>('SELECT count(*) FROM projects WHERE @owner IS NULL OR owner_id = @owner').pluck(),
    page: db.prepare<[{ owner: number | null; limit: number; skip: number }], Row>(
      `SELECT ${COLUMNS} FROM projects WHERE @owner IS NULL OR owner_id = @owner ORDER BY id LIMIT @limit OFFSET @skip`,
    ),
    save: db.prepare<[string, string | null, string, string, string, number]>(
      'UPDATE projects SET name = ?, description = ?, status = ?, settings = ?, updated_at = ? WHERE id = ?',
    ),
    delete: db.prepare<[number]>('DELETE FROM projects WHERE id = ?'),
  };
  return {
    async create(input) {
      const now = clock.now().toISOString();
      return toProject(q.insert.get(input.name, input.description ?? null, input.owner_id, JSON.stringify(storedCopy(input.settings ?? {})), now, now) as Row);
    },
    async get(id) {
      const row = q.get.get(id);
      return row && toProject(row);
    },
    async list({ owner_id, skip, limit }) {
      const owner = owner_id ?? null;
      return { total: q.count.get({ owner }) as number, projects: q.page.all({ owner, limit, skip }).map(toProject) };
    },
    async update(id, patch) {
      return db.transaction(() => {
        const row = q.get.get(id);
        if (!row) return undefined;
        const current = toProject(row);
        const next: Project = {
          ...current,
          name: patch.name ?? current.name,
          description: patch.description === undefined ? current.description : patch.description,
          status: patch.status ?? current.status,
          settings: patch.settings === undefined ? current.settings : storedCopy(patch.settings),
          updated_at: clock.now().toISOString(),
        };
        q.save.run(next.name, next.description, next.status, JSON.stringify(next.settings), next.updated_at, id);
        return next;
      }).immediate();
    },
    delete: async (id) => q.delete.run(id).changes > 0,
  };
}
