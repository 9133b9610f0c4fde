import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { z } from 'zod';
import { CoreError, NotFoundError, ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { AuthError } from './auth-error.js';
import { AGENT_AUDIENCE, AGENT_TOKEN_TTL_S, DEFAULT_TOKEN_TTL_S, signToken, USER_AUDIENCE, verifyTokenClaims, type TokenClaims } from './jwt-tokens.js';
import { signWorkerToken } from './worker-token.js';
import { deriveNotifySecret, matchesNotifySecret } from './notify-secret.js';
import { decoyPasswordHash, DEFAULT_PASSWORD_COST, hashPassword, needsRehash, verifyPassword, type PasswordCost } from './password-hash.js';
import type { RevocationStore } from './revocation-store.port.js';
import { PasswordSchema, UsernameSchema, UserRoleSchema, type User, type UserRole } from './user.schema.js';
import type { StoredUser, UserStore } from './user-store.port.js';

export interface AccountServiceDeps {
  users: UserStore;
  revocations: RevocationStore;
  /** HS256 key (≥ 32 bytes), e.g. from `loadOrCreateJwtSecret`. */
  secret: Uint8Array;
  clock: Clock;
  /** Lifetime of user tokens (default 86400 s). */
  tokenTtlS?: number;
  /** scrypt cost of new hashes (default `DEFAULT_PASSWORD_COST`; lower only in tests). */
  passwordCost?: PasswordCost;
}

export interface CreateUserInput {
  username: string;
  password: string;
  email?: string | null;
  role?: UserRole;
}

export type AuthenticateResult = { ok: true; user: User } | { ok: false; reason: 'invalid' | 'inactive' };
export type VerifiedCredential = { kind: 'user'; user: User } | { kind: 'agent'; jobId: string } | { kind: 'worker' };

export interface AccountService {
  /** Throws `ValidationError` for a bad username/password/email, a `CONFLICT` CoreError "Username already registered". */
  createUser(input: CreateUserInput): Promise<User>;
  /** One scrypt whatever the outcome (an unknown name is checked against a decoy hash). */
  authenticate(username: string, password: string): Promise<AuthenticateResult>;
  issueToken(user: Pick<User, 'id'>): Promise<{ token: string; expires_in: number }>;
  /** Throws `AuthError` (expired | invalid | inactive | revoked) for any token it does not accept. */
  verify(token: string): Promise<VerifiedCredential>;
  /** Ends one token (logout) until its own expiry; throws `AuthError` when the token is not valid now. */
  revoke(token: string): Promise<void>;
  setPassword(userId: number, password: string): Promise<User>;
  setActive(userId: number, active: boolean): Promise<User>;
  setRole(userId: number, role: UserRole): Promise<User>;
  get(userId: number): Promise<User | undefined>;
  getByUsername(username: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  count(): Promise<number>;
  /** A token for the trainer agent of one job (audience `yoloops-agent`, 30 days). */
  issueAgentToken(jobId: string): Promise<{ token: string; expires_in: number }>;
  /** A token for remote training workers (audience `yoloops-worker`, `scope: 'worker'`), valid `days` days (default 365). */
  issueWorkerToken(days?: number): Promise<{ token: string; expires_in: number }>;
  notifySecret(jobId: string): string;
  checkNotifySecret(jobId: string, given: string): boolean;
  /** Creates `admin` (role admin) with this password when there is no user at all; otherwise does nothing. */
  bootstrapAdmin(password: string): Promise<User | undefined>;
}

/** The public view of a stored user (no hash, no token version). */
export const toUser = ({ id, username, email, role, is_active, created_at, updated_at }: StoredUser): User => ({
  id, username, email, role, is_active, created_at, updated_at,
});

/** Tokens whose signature was checked, kept until their `exp` (about 3 MB when full). */
const VERIFIED_TOKEN_CACHE = 10_000;

const jtiDigest = (jti: string) => createHash('sha256').update(jti, 'utf8').digest('hex');

function check<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(`${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { reason: `invalid_${field}`, details: { field } });
  return parsed.data;
}

function checkEmail(email: string | null | undefined): string | null {
  if (email === undefined || email === null || email === '') return null;
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(email)) throw new ValidationError(`email: "${email.slice(0, 80)}" is not an e-mail address`, { reason: 'invalid_email', details: { field: 'email' } });
  return email;
}

/**
 * Accounts, passwords and tokens: scrypt hashes, HS256 JWTs that end when their user is disabled or
 * changes password, logout by revoking one token, job-scoped agent tokens and notify secrets.
 * @example
 * const accounts = createAccountService({ users, revocations, secret, clock: systemClock });
 * const result = await accounts.authenticate('ada', 'correct horse');
 * if (result.ok) res.json(await accounts.issueToken(result.user));
 */
export function createAccountService(deps: AccountServiceDeps): AccountService {
  const { users, revocations, secret, clock } = deps;
  if (secret.byteLength < 32) throw new RangeError('the token secret must be at least 32 bytes');
  const ttlS = deps.tokenTtlS ?? DEFAULT_TOKEN_TTL_S;
  if (!Number.isInteger(ttlS) || ttlS < 1) throw new RangeError(`tokenTtlS must be a positive integer, got ${ttlS}`);
  const cost = deps.passwordCost ?? DEFAULT_PASSWORD_COST;
  const decoy = decoyPasswordHash(cost);
  const nowS = () => Math.floor(clock.now().getTime() / 1000);
  // An HMAC check is a pure function of the token's bytes: a token seen valid stays valid until its `exp`
  // (revocation, disabling and password changes are checked on every request below, never cached).
  const seen = new LRUCache<string, TokenClaims>({ max: VERIFIED_TOKEN_CACHE });
  const verifiedClaims = async (token: string): Promise<TokenClaims> => {
    const hit = seen.get(token);
    if (hit === undefined) {
      const claims = await verifyTokenClaims(token, secret, clock.now());
      seen.set(token, claims);
      return claims;
    }
    if (hit.exp <= nowS()) throw new AuthError('expired', 'Token has expired');
    return hit;
  };

  const mustGet = async (userId: number) => {
    const user = await users.get(userId);
    if (!user) throw new NotFoundError(`user ${userId} not found`, { reason: 'user_not_found' });
    return user;
  };
  const patch = async (userId: number, change: Parameters<UserStore['update']>[1]) => {
    const user = await users.update(userId, change);
    if (!user) throw new NotFoundError(`user ${userId} not found`, { reason: 'user_not_found' });
    return toUser(user);
  };

  const service: AccountService = {
    async createUser(input) {
      const username = check(UsernameSchema, input.username, 'username');
      const password = check(PasswordSchema, input.password, 'password');
      const role = check(UserRoleSchema, input.role ?? 'member', 'role');
      const email = checkEmail(input.email);
      if (await users.getByUsername(username)) throw new CoreError('CONFLICT', 'Username already registered', { reason: 'username_taken' });
      return toUser(await users.create({ username, email, role, password_hash: await hashPassword(password, cost) }));
    },

    async authenticate(username, password) {
      // No stored password is longer than 1024 characters: a longer one is checked against the decoy, never cut short.
      const fits = typeof password === 'string' && password.length <= 1024;
      const user = fits && typeof username === 'string' && username.length <= 64 ? await users.getByUsername(username) : undefined;
      const matches = await verifyPassword(fits ? password : '', user?.password_hash ?? decoy);
      if (!user || !matches) return { ok: false, reason: 'invalid' };
      if (!user.is_active) return { ok: false, reason: 'inactive' };
      // A cost raised since this hash was made: upgrade it now that the password is at hand (tokens stay valid).
      if (needsRehash(user.password_hash, cost)) await users.update(user.id, { password_hash: await hashPassword(password, cost) });
      return { ok: true, user: toUser(user) };
    },

    async issueToken(user) {
      const stored = await mustGet(user.id);
      if (!stored.is_active) throw new AuthError('inactive', 'User is disabled');
      const { token } = await signToken(USER_AUDIENCE, String(stored.id), { ver: stored.token_version }, { key: secret, nowS: nowS(), ttlS });
      return { token, expires_in: ttlS };
    },

    async verify(token) {
      const claims = await verifiedClaims(String(token));
      if (await revocations.has(jtiDigest(claims.jti))) throw new AuthError('revoked', 'Token has been revoked');
      if (claims.kind === 'agent') return { kind: 'agent', jobId: claims.jobId };
      if (claims.kind === 'worker') return { kind: 'worker' };
      const user = await users.get(claims.userId);
      if (!user) throw new AuthError('invalid', 'User not found');
      if (!user.is_active) throw new AuthError('inactive', 'User is disabled');
      if (user.token_version !== claims.version) throw new AuthError('revoked', 'Token has been revoked');
      return { kind: 'user', user: toUser(user) };
    },

    async revoke(token) {
      const claims = await verifyTokenClaims(String(token), secret, clock.now());
      await revocations.add(jtiDigest(claims.jti), claims.exp);
      await revocations.prune(nowS());
    },

    async setPassword(userId, password) {
      const checked = check(PasswordSchema, password, 'password');
      await mustGet(userId);
      return patch(userId, { password_hash: await hashPassword(checked, cost), bumpTokenVersion: true });
    },
    async setActive(userId, active) {
      const user = await mustGet(userId);
      if (user.is_active === active) return toUser(user);
      return patch(userId, { is_active: active, bumpTokenVersion: !active });
    },
    setRole: async (userId, role) => patch(userId, { role: check(UserRoleSchema, role, 'role') }),
    get: async (userId) => {
      const user = await users.get(userId);
      return user && toUser(user);
    },
    getByUsername: async (username) => {
      const user = await users.getByUsername(username);
      return user && toUser(user);
    },
    list: async () => (await users.list()).map(toUser),
    count: () => users.count(),

    async issueAgentToken(jobId) {
      if (typeof jobId !== 'string' || jobId === '') throw new ValidationError('jobId: a job id is required');
      const { token } = await signToken(AGENT_AUDIENCE, `job:${jobId}`, { job: jobId }, { key: secret, nowS: nowS(), ttlS: AGENT_TOKEN_TTL_S });
      return { token, expires_in: AGENT_TOKEN_TTL_S };
    },
    issueWorkerToken: (days) => signWorkerToken({ secret, clock, ...(days === undefined ? {} : { days }) }),
    notifySecret: (jobId) => deriveNotifySecret(secret, jobId),
    checkNotifySecret: (jobId, given) => matchesNotifySecret(secret, jobId, given),

    async bootstrapAdmin(password) {
      if ((await users.count()) > 0) return undefined;
      try {
        return await service.createUser({ username: 'admin', password, role: 'admin' });
      } catch (error) {
        // Another process created the first user in between: that one stands.
        if (error instanceof CoreError && error.code === 'CONFLICT') return undefined;
        throw error;
      }
    },
  };
  return service;
}
