import { createAccountService, type AccountService } from '../../accounts/account-service.js';
import type { PasswordCost } from '../../accounts/password-hash.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import { loadOrCreateJwtSecret } from './jwt-secret.js';
import type { RevocationStore } from '../../accounts/revocation-store.port.js';
import type { UserStore } from '../../accounts/user-store.port.js';
import type { SqliteDatabase } from '../sqlite/sqlite-database.js';
import { createSqliteRevocationStore } from '../sqlite/sqlite-revocation-store.js';
import { createSqliteUserStore } from '../sqlite/sqlite-user-store.js';

export interface OpenAccountsOptions {
  /** An open, migrated yoloops database. */
  db: SqliteDatabase;
  /** The stores to use instead of `db`'s (the platform's, e.g. on PostgreSQL). */
  stores?: { users: UserStore; revocations: RevocationStore };
  /** Where `secrets/jwt-secret` lives when `jwtSecret` is not given. */
  dataDir: string;
  /** `YOLOOPS_JWT_SECRET` (≥ 32 bytes, not a published default). */
  jwtSecret?: string;
  tokenTtlS?: number;
  passwordCost?: PasswordCost;
  /** `YOLOOPS_ADMIN_PASSWORD`: creates `admin` when there is no user yet. */
  adminPassword?: string;
  clock?: Clock;
}

/**
 * The accounts service on a yoloops SQLite database (users, revoked tokens) with the data dir's secret;
 * forgets revocations of tokens expired since, and bootstraps the first admin when `adminPassword` is given.
 * @example const accounts = await openAccounts({ db: openSqliteDatabase('data/yoloops.db'), dataDir: 'data' });
 */
export async function openAccounts(options: OpenAccountsOptions): Promise<AccountService> {
  const clock = options.clock ?? systemClock;
  const revocations = options.stores?.revocations ?? createSqliteRevocationStore(options.db);
  await revocations.prune(Math.floor(clock.now().getTime() / 1000));
  const accounts = createAccountService({
    users: options.stores?.users ?? createSqliteUserStore(options.db, { clock }),
    revocations,
    secret: await loadOrCreateJwtSecret(options.dataDir, options.jwtSecret),
    clock,
    ...(options.tokenTtlS !== undefined && { tokenTtlS: options.tokenTtlS }),
    ...(options.passwordCost !== undefined && { passwordCost: options.passwordCost }),
  });
  if (options.adminPassword !== undefined && options.adminPassword !== '') await accounts.bootstrapAdmin(options.adminPassword);
  return accounts;
}
