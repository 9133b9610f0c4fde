import type { ResourceEntry, ResourceIndex, ResourceKind } from '../../catalog/resource-index.port.js';
import { CoreError } from '../../errors.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import { storedCopy } from '../../platform/safe-json.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

interface Row {
  kind: ResourceKind;
  id: string;
  number: number;
  owner_id: number | null;
  project_id: number | null;
  meta: string;
  created_at: string;
}

const toEntry = (row: Row): ResourceEntry => ({ ...row, meta: parseStoredJson<Record<string, unknown>>(row.meta) });
const COLUMNS = 'kind, id, number, owner_id, project_id, meta, created_at';

/**
 * `ResourceIndex` on SQLite: one row per resource; numbers come from a per-kind counter row bumped in
 * the same immediate transaction as the insert, so they are never reused and two processes never share one.
 * @example const resources = createSqliteResourceIndex(openSqliteDatabase(file));
 */
export function createSqliteResourceIndex(db: SqliteDatabase, deps: { clock?: Clock } = {}): ResourceIndex {
  const clock = deps.clock ?? systemClock;
  const q = {
    get: db.prepare<[string, string], Row>(`SELECT ${COLUMNS} FROM resources WHERE kind = ? AND id = ?`),
    byNumber: db.prepare<[string, number], Row>(`SELECT ${COLUMNS} FROM resources WHERE kind = ? AND number = ?`),
    next: db.prepare<[string], number>(
      'INSERT INTO resource_counters (kind, last) VALUES (?, 1) ON CONFLICT (kind) DO UPDATE SET last = last + 1 RETURNING last',
    ).pluck(),
    insert: db.prepare<[string, string, number, number | null, number | null, string, string]>(
      `INSERT INTO resources (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING`,
    ),
    list: db.prepare<[{ kind: string; owner: number | null; project: number | null }], Row>(
      `SELECT ${COLUMNS} FROM resources WHERE kind = @kind AND (@owner IS NULL OR owner_id = @owner) AND (@project IS NULL OR project_id = @project) ORDER BY number`,
    ),
    save: db.prepare<[number | null, number | null, string, string, string]>('UPDATE resources SET owner_id = ?, project_id = ?, meta = ? WHERE kind = ? AND id = ?'),
    rebind: db.prepare<[string, string, string]>('UPDATE resources SET id = ? WHERE kind = ? AND id = ?'),
    remove: db.prepare<[string, string]>('DELETE FROM resources WHERE kind = ? AND id = ?'),
    detach: db.prepare<[number]>('UPDATE resources SET project_id = NULL WHERE project_id = ?'),
  };
  const read = (row: Row | undefined) => (row === undefined ? undefined : toEntry(row));
  return {
    async ensure(kind, id, init = {}) {
      return db.transaction(() => {
        const existing = q.get.get(kind, id);
        if (existing) return toEntry(existing);
        const meta = JSON.stringify(storedCopy(init.meta ?? {}));
        q.insert.run(kind, id, q.next.get(kind) as number, init.owner_id ?? null, init.project_id ?? null, meta, clock.now().toISOString());
        return toEntry(q.get.get(kind, id) as Row);
      }).immediate();
    },
    get: async (kind, id) => read(q.get.get(kind, id)),
    byNumber: async (kind, number) => read(q.byNumber.get(kind, number)),
    list: async (kind, filter = {}) => q.list.all({ kind, owner: filter.owner_id ?? null, project: filter.project_id ?? null }).map(toEntry),
    async update(kind, id, patch) {
      return db.transaction(() => {
        const current = read(q.get.get(kind, id));
        if (!current) return undefined;
        const next: ResourceEntry = {
          ...current,
          owner_id: patch.owner_id === undefined ? current.owner_id : patch.owner_id,
          project_id: patch.project_id === undefined ? current.project_id : patch.project_id,
          meta: storedCopy({ ...current.meta, ...patch.meta }),
        };
        q.save.run(next.owner_id, next.project_id, JSON.stringify(next.meta), kind, id);
        return next;
      }).immediate();
    },
    async rebind(kind, fromId, toId) {
      return db.transaction(() => {
        if (!q.get.get(kind, fromId)) return undefined;
        if (fromId !== toId && q.get.get(kind, toId)) throw new CoreError('CONFLICT', `${kind} ${toId} already has a number`);
        q.rebind.run(toId, kind, fromId);
        return read(q.get.get(kind, toId));
      }).immediate();
    },
    async remove(kind, id) {
      q.remove.run(kind, id);
    },
    async detachProject(projectId) {
      q.detach.run(projectId);
    },
  };
}
