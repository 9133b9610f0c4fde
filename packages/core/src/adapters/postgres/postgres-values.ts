/** Whether `value` fits a PostgreSQL `integer` column: a key outside it matches no row (SQLite's answer) instead of failing the statement. */
export const isInt4 = (value: number): boolean => Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647;

/** Whether a `pg` or PGlite error is a unique-constraint violation (SQLSTATE 23505). */
export const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '23505';
