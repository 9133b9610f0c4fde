import type { Response } from 'express';

/**
 * Who a request acts for, set by the auth middleware as `res.locals.principal` before any handler runs:
 * - `user`: a signed-in account (`admin` sees and changes everything; a `member` its own resources);
 * - `agent`: a trainer agent holding a token scoped to one job (it reports for that job, nothing else);
 * - `local`: no token while auth is off (`YOLOOPS_AUTH=off`, loopback): acts as an admin with no account.
 */
export type Principal =
  | {
      kind: 'user'; userId: number; username: string; role: 'admin' | 'member';
      /** Projects this member owns (set before seed 002 handlers run): what belongs to them is the member's to see too. */
      ownedProjects?: ReadonlySet<number>;
    }
  | { kind: 'agent'; jobId: string }
  /** A remote training worker (`yoloops workers token`): it reaches the worker routes only. */
  | { kind: 'worker' }
  | { kind: 'local' };

/** The principal of a request (`local` when no auth middleware ran, e.g. in embedded use without auth). */
export function principalOf(res: Response): Principal {
  return (res.locals.principal as Principal | undefined) ?? { kind: 'local' };
}

/** Sees every resource: an admin user, or anyone while auth is off. */
export const seesEverything = (p: Principal): boolean => p.kind === 'local' || (p.kind === 'user' && p.role === 'admin');

/** The account id that owns what this principal creates (`null` for `local` and agents). */
export const ownerIdOf = (p: Principal): number | null => (p.kind === 'user' ? p.userId : null);
