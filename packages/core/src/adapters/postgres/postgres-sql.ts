import { CoreError } from '../../errors.js';

/** The SQLSTATE of a failed statement (`23505` unique violation, `23503` foreign key violation …), from `pg` or PGlite. */
export const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Rounds of read → conditional write one call may lose to concurrent writers before giving up. */
const MAX_ROUNDS = 100;

/** A read-modify-write round's verdict: done with a value, or lost to a concurrent writer (read again). */
export type CasRound<T> = { done: true; value: T } | { done: false };

/**
 * Repeats `round` (read a row with its `revision`, then `UPDATE … WHERE revision = $r`) until one is not lost to a
 * concurrent writer; after `MAX_ROUNDS` losses it gives up with CONFLICT naming `what`. No connection is held across rounds.
 */
export async function compareAndSetLoop<T>(what: string, round: () => Promise<CasRound<T>>): Promise<T> {
  for (let i = 0; i < MAX_ROUNDS; i += 1) {
    const result = await round();
    if (result.done) return result.value;
  }
  throw new CoreError('CONFLICT', `${what} is being changed by too many writers at once; try again`);
}
