import { CoreError } from '../../errors.js';
import type { StoredUser, UserStore } from '../../accounts/user-store.port.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import type { PostgresDatabase } from './postgres-database.js';
import { isInt4, isUniqueViolation } from './postgres-values.js';

const COLUMNS = 'id, username, email, role, is_active, password_hash, token_version, created_at, updated_at';
const taken = (cause?: unknown) => new CoreError('CONFLICT', 'Username already registered', { reason: 'username_taken', cause });

/**
 * `UserStore` on PostgreSQL (`users` from migration 3): a unique index on `lower(username)` in the "C" collation
 * refuses a second spelling of an ASCII username, as SQLite's `COLLATE NOCASE`; ids come from an identity
 * sequence, so they are never reused and never shared by two servers. An update is one statement, so two servers
 * bumping a token version at once both count.
 * @example const users = createPostgresUserStore(await openPgliteDatabase());
 */
export function createPostgresUserStore(db: PostgresDatabase, deps: { clock?: Clock } = {}): UserStore {
  const clock = deps.clock ?? systemClock;
  const one = async (sql: string, params: readonly unknown[]) => {
    const row = (await db.query<StoredUser>(sql, params)).rows[0];
    return row && { ...row };
  };
  return {
    async create(input) {
      const now = clock.now().toISOString();
      try {
        // Inserting through SELECT … WHERE NOT EXISTS draws no id for a name already taken (SQLite draws none either).
        const row = await one(
          `INSERT INTO users (username, email, role, is_active, password_hash, token_version, created_at, updated_at)
           SELECT $1, $2, $3, true, $4, 0, $5, $5 WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($1::text COLLATE "C"))
           RETURNING ${COLUMNS}`,
          [input.username, input.email, input.role, input.password_hash, now],
        );
        if (row === undefined) throw taken();
        return row;
      } catch (error) {
        if (isUniqueViolation(error)) throw taken(error);
        throw error;
      }
    },
    get: async (id) => (isInt4(id) ? one(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]) : undefined),
    getByUsername: (username) => one(`SELECT ${COLUMNS} FROM users WHERE lower(username) = lower($1::text COLLATE "C")`, [username]),
    list: async () => (await db.query<StoredUser>(`SELECT ${COLUMNS} FROM users ORDER BY id`)).rows,
    async update(id, patch) {
      if (!isInt4(id)) return undefined;
      return one(
        `UPDATE users SET email = CASE WHEN $2::boolean THEN $3 ELSE email END, role = coalesce($4, role), is_active = coalesce($5, is_active),
           password_hash = coalesce($6, password_hash), token_version = token_version + $7, updated_at = $8 WHERE id = $1 RETURNING ${COLUMNS}`,
        [
          id, patch.email !== undefined, patch.email ?? null, patch.role ?? null, patch.is_active ?? null,
          patch.password_hash ?? null, patch.bumpTokenVersion ? 1 : 0, clock.now().toISOString(),
        ],
      );
    },
    count: async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users')).rows[0]!.n,
  };
}
