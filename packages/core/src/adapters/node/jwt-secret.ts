import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../../errors.js';
import { fsyncPath } from '../fs/fs-durable.js';

/** Secrets shipped in example configs of the origin systems and tutorials: never accepted. */
export const KNOWN_DEFAULT_SECRETS: readonly string[] = [
  'your-secret-key', 'default-jwt-secret-key', 'your-super-secret-jwt-key-change-in-production', 'changeme', 'secret',
];
const MIN_SECRET_BYTES = 32;

/** Checks a configured `YOLOOPS_JWT_SECRET`: at least 32 bytes and none of the well-known defaults. */
export function checkJwtSecret(given: string): Uint8Array {
  if (KNOWN_DEFAULT_SECRETS.includes(given.trim().toLowerCase())) {
    throw new ValidationError('YOLOOPS_JWT_SECRET is a published example secret; set a random one (e.g. `openssl rand -base64 48`) or unset it to have one generated', { reason: 'weak_jwt_secret' });
  }
  const bytes = new TextEncoder().encode(given);
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new ValidationError(`YOLOOPS_JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes.byteLength}); e.g. \`openssl rand -base64 48\`, or unset it to have one generated`, { reason: 'weak_jwt_secret' });
  }
  return bytes;
}

async function readSecretFile(file: string): Promise<Uint8Array | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = Buffer.from(text.trim(), 'base64url');
  if (key.length < MIN_SECRET_BYTES) throw new ValidationError(`${file} holds no usable secret (fewer than ${MIN_SECRET_BYTES} bytes); delete it to have a new one made (every token ends)`, { reason: 'bad_secret_file' });
  if (process.platform !== 'win32') await fsp.chmod(file, 0o600);
  return new Uint8Array(key);
}

/** Writes a fresh 32-byte secret at `file` with mode 0600 (temp file, fsync, hard link: an existing file is never overwritten). */
async function createSecretFile(file: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fsp.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${randomBytes(32).toString('base64url')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // another process made it first: use theirs
  } finally {
    await fsp.rm(temp, { force: true });
  }
  await fsyncPath(path.dirname(file));
}

/**
 * The HS256 key of the server's tokens: `given` (`YOLOOPS_JWT_SECRET`) when set, else the one kept in
 * `<dataDir>/secrets/jwt-secret`, made on first start (32 random bytes, file mode 0600, folder 0700).
 * Never logs the secret.
 * @example const secret = await loadOrCreateJwtSecret('./data', process.env.YOLOOPS_JWT_SECRET);
 */
export async function loadOrCreateJwtSecret(dataDir: string, given?: string): Promise<Uint8Array> {
  if (given !== undefined && given !== '') return checkJwtSecret(given);
  const dir = path.join(path.resolve(dataDir), 'secrets');
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') await fsp.chmod(dir, 0o700);
  const file = path.join(dir, 'jwt-secret');
  const existing = await readSecretFile(file);
  if (existing) return existing;
  await createSecretFile(file);
  return (await readSecretFile(file))!;
}
