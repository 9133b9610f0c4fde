import { CoreError } from '../../errors.js';
import type { StoredUser, UserStore } from '../../accounts/user-store.port.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import type { SqliteDatabase } from './sqlite-database.js';

type Row = Omit<StoredUser, 'is_active'> & { is_active: number };

const COLUMNS = 'id, username, email, role, is_active, password_hash, token_version, created_at, updated_at';
const toUser = (row: Row): StoredUser => ({ ...row, is_active: row.is_active === 1 });

/**
 * `UserStore` on SQLite: `username` is `UNIQUE COLLATE NOCASE` (usernames are ASCII), ids come from
 * `AUTOINCREMENT` so they are never reused.
 * @example const users = createSqliteUserStore(openSqliteDatabase(file));
 */
export function createSqliteUserStore(db: SqliteDatabase, deps: { clock?: Clock } = {}): UserStore {
  const clock = deps.clock ?? systemClock;
  const q = {
    insert: db.prepare<[string, string | null, string, string, string, string], Row>(
      `INSERT INTO users (username, email, role, is_active, password_hash, token_version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, 0, ?, ?) RETURNING ${COLUMNS}`,
    ),
    get: db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM users WHERE id = ?`),
    byName: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM users WHERE username = ?`),
    list: db.prepare<[], Row>(`SELECT ${COLUMNS} FROM users ORDER BY id`),
    save: db.prepare<[string | null, string, number, string, number, string, number]>(
      'UPDATE users SET email = ?, role = ?, is_active = ?, password_hash = ?, token_version = ?, updated_at = ? WHERE id = ?',
    ),
    count: db.prepare<[], number>('SELECT count(*) FROM users').pluck(),
  };
  return {
    async create(input) {
      const now = clock.now().toISOString();
      try {
        return toUser(q.insert.get(input.username, input.email, input.role, input.password_hash, now, now) as Row);
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new CoreError('CONFLICT', 'Username already registered', { reason: 'username_taken', cause: error });
        }
        throw error;
      }
    },
    async get(id) {
      const row = q.get.get(id);
      return row && toUser(row);
    },
    async getByUsername(username) {
      const row = q.byName.get(username);
      return row && toUser(row);
    },
    list: async () => q.list.all().map(toUser),
    async update(id, patch) {
      return db.transaction(() => {
        const row = q.get.get(id);
        if (!row) return undefined;
        const current = toUser(row);
        const next: StoredUser = {
          ...current,
          email: patch.email === undefined ? current.email : patch.email,
          role: patch.role ?? current.role,
          is_active: patch.is_active ?? current.is_active,
          password_hash: patch.password_hash ?? current.password_hash,
          token_version: current.token_version + (patch.bumpTokenVersion ? 1 : 0),
          updated_at: clock.now().toISOString(),
        };
        q.save.run(next.email, next.role, next.is_active ? 1 : 0, next.password_hash, next.token_version, next.updated_at, id);
        return next;
      }).immediate();
    },
    count: async () => q.count.get() as number,
  };
}
