import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters; memory used is about 128 × N × r bytes. */
export interface PasswordCost {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt floor (N = 2^17, r = 8, p = 1: 128 MiB, a few hundred ms). */
export const DEFAULT_PASSWORD_COST: PasswordCost = { N: 2 ** 17, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds on what a stored hash may ask for, so a tampered row cannot make one login eat the machine. */
const MAX = { N: 2 ** 20, r: 32, p: 16 };

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;

function checkCost(cost: PasswordCost): void {
  if (!isPowerOfTwo(cost.N) || cost.N > MAX.N) throw new RangeError(`scrypt N must be a power of two from 2 to ${MAX.N}, got ${cost.N}`);
  if (!Number.isInteger(cost.r) || cost.r < 1 || cost.r > MAX.r) throw new RangeError(`scrypt r must be an integer from 1 to ${MAX.r}, got ${cost.r}`);
  if (!Number.isInteger(cost.p) || cost.p < 1 || cost.p > MAX.p) throw new RangeError(`scrypt p must be an integer from 1 to ${MAX.p}, got ${cost.p}`);
}

function derive(password: string, salt: Buffer, keyLength: number, cost: PasswordCost): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 128 * cost.N * cost.r + 32 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Hashes a password with scrypt and a fresh 16-byte salt into `scrypt$N$r$p$salt$hash` (base64url), so a
 * later release can raise the cost and still read older hashes.
 * @example const stored = await hashPassword('correct horse battery');
 */
export async function hashPassword(password: string, cost: PasswordCost = DEFAULT_PASSWORD_COST): Promise<string> {
  checkCost(cost);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash {
  cost: PasswordCost;
  salt: Buffer;
  key: Buffer;
}

/** Reads `scrypt$N$r$p$salt$hash`; undefined when it is not one this build can check. */
export function parsePasswordHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : Number.NaN)) as [number, number, number];
  const cost = { N, r, p };
  try {
    checkCost(cost);
  } catch {
    return undefined;
  }
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || key.length < 16 || key.length > 64) return undefined;
  return { cost, salt, key };
}

/**
 * Checks a password against a stored hash in constant time (`timingSafeEqual` on equal-length keys).
 * A hash it cannot read is a mismatch, never an error.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (parsed === undefined) return false;
  const key = await derive(password, parsed.salt, parsed.key.length, parsed.cost);
  return timingSafeEqual(key, parsed.key);
}

/** true when a stored hash was made with a lower cost than `cost` (rehash it at the next good login). */
export function needsRehash(stored: string, cost: PasswordCost = DEFAULT_PASSWORD_COST): boolean {
  const parsed = parsePasswordHash(stored);
  return parsed === undefined || parsed.cost.N < cost.N || parsed.cost.r < cost.r || parsed.cost.p < cost.p;
}

/**
 * A well-formed hash no password matches (an all-zero key), at `cost`: checking an unknown username
 * against it spends the same one scrypt as a real user, so answers do not reveal which names exist.
 */
export function decoyPasswordHash(cost: PasswordCost = DEFAULT_PASSWORD_COST): string {
  checkCost(cost);
  return ['scrypt', cost.N, cost.r, cost.p, Buffer.alloc(SALT_BYTES, 7).toString('base64url'), Buffer.alloc(KEY_BYTES).toString('base64url')].join('$');
}
