import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.port.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * Creates an id of the origin's shape `<prefix>_YYYYMMDD_HHMMSS` (UTC) plus a random suffix,
 * so two ids made in the same second never collide.
 * @example createId('ds', systemClock) // 'ds_20240115_123456_9f3a1c2b'
 */
export function createId(prefix: string, clock: Clock): string {
  const d = clock.now();
  const stamp =
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `${prefix}_${stamp}_${randomBytes(4).toString('hex')}`;
}

/** Ids accepted from callers: server-made ids and simple names only — never a path. */
export const RESOURCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
