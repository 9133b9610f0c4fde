import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkArgvTemplate, PasswordSchema } from '@yoloops/core';
import { checkJwtSecret } from '@yoloops/core/node';
import { parseCommandString } from 'execa';
import { z } from 'zod';
import type { RateLimit } from './security-options.js';

/**
 * What the help of one setting shows: what it does and its default in words (many defaults are
 * decided where they apply: "all cores", "the address bound").
 */
export interface SettingMeta {
  description: string;
  default: string;
  /** The flag that overrides the variable, e.g. `--port N`. */
  flag?: string;
}

/** A value a parser refuses; the message follows the setting's name ("must be …, got …"). */
export class InvalidSetting extends Error {
  override name = 'InvalidSetting';
}

/** What a setting reads when set: its raw string (never `''` or blanks, which count as unset). */
type Parser<T> = (raw: string) => T;

/**
 * One setting: an optional string, parsed when set (blank is unset), `fallback` when not. A parser's
 * `InvalidSetting` becomes the setting's issue.
 */
export function setting<T>(parse: Parser<T>, meta: SettingMeta): z.ZodType<T | undefined, string | undefined>;
export function setting<T>(parse: Parser<T>, meta: SettingMeta, fallback: T): z.ZodType<T, string | undefined>;
export function setting<T>(parse: Parser<T>, meta: SettingMeta, fallback?: T) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      try {
        return parse(raw);
      } catch (error) {
        if (!(error instanceof InvalidSetting)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    })
    .meta({ ...meta });
}

/** An integer from `min` (0: "non-negative", 1: "positive"). */
export const integer = (min: 0 | 1): Parser<number> => (raw) => {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new InvalidSetting(`must be ${min === 1 ? 'a positive' : 'a non-negative'} integer, got "${raw}"`);
  return value;
};

export const port: Parser<number> = (raw) => {
  try {
    return integerIn(0, 65535)(raw);
  } catch {
    throw new InvalidSetting(`must be a port number from 0 to 65535 (0: any free port), got "${raw}"`);
  }
};

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

export const host: Parser<string> = (raw) => {
  const value = raw.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(value) === 0 && !HOSTNAME.test(value)) throw new InvalidSetting(`must be an IP address or a host name (e.g. 127.0.0.1, 0.0.0.0, ::), got "${raw}"`);
  return value;
};

/** One of `values`, as given. */
export const oneOf = <const V extends string>(...values: V[]): Parser<V> => (raw) => {
  const value = raw.trim();
  if (!(values as string[]).includes(value)) throw new InvalidSetting(`must be ${values.map((v) => `"${v}"`).join(' or ')}, got "${raw}"`);
  return value as V;
};

/** A directory, or a path where one can be made: never an existing file. */
export const directory: Parser<string> = (raw) => {
  const dir = raw.trim();
  if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) throw new InvalidSetting(`must be a directory (or where to make one), got "${dir}", which is a file`);
  return dir;
};

/** Comma-separated words, blanks dropped. */
const list = (raw: string): string[] => raw.split(',').map((p) => p.trim()).filter((p) => p !== '');

export const executionProviders: Parser<string[]> = (raw) => {
  const providers = list(raw);
  const bad = providers.find((p) => !/^[a-z][a-z0-9_-]*$/i.test(p));
  if (bad !== undefined) throw new InvalidSetting(`must list onnxruntime execution providers (e.g. cuda), got "${bad}"`);
  return providers;
};

/**
 * An argv: a JSON array of strings (exact arguments), or a command line split on spaces (escape a
 * space inside an argument with `\ `); never run through a shell. Its `{placeholders}` must be known ones.
 */
export const argv: Parser<string[]> = (given) => {
  const raw = given.trim();
  let parsed: unknown;
  if (raw.startsWith('[')) {
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      throw new InvalidSetting(`starts with "[" but is not a JSON array of strings: ${(error as Error).message}`);
    }
  } else {
    parsed = parseCommandString(raw);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a): a is string => typeof a === 'string') || parsed[0] === '') {
    throw new InvalidSetting(`must be a command line or a JSON array of strings with the program first, got: ${raw}`);
  }
  try {
    checkArgvTemplate(parsed, '');
  } catch (error) {
    throw new InvalidSetting((error as Error).message.trim());
  }
  return parsed;
};

/** An argv, or `none` (`null`: no agent). */
export const argvOrNone: Parser<string[] | null> = (raw) => (raw.trim() === 'none' ? null : argv(raw));

/** An http(s) base URL, trailing slashes dropped. */
export const publicUrl: Parser<string> = (given) => {
  const raw = given.trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidSetting(`must be an http(s) URL such as http://trainer-gateway:8000, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidSetting(`must be an http(s) URL, got "${raw}"`);
  if (url.search || url.hash || url.username || url.password) throw new InvalidSetting(`must be a plain base URL (no query, fragment or credentials), got "${raw}"`);
  return raw.replace(/\/+$/, '');
};

/** Comma-separated browser origins (`scheme://host[:port]`), normalised as browsers send them. */
export const origins: Parser<string[]> = (raw) => list(raw).map((given) => {
  if (given === '*') throw new InvalidSetting('lists the origins allowed, one by one; "*" (any site) is not allowed');
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new InvalidSetting(`must list http(s) origins such as https://app.example.org, got "${given}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidSetting(`must list http(s) origins, got "${given}"`);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new InvalidSetting(`must list origins without path, query or credentials (scheme://host[:port]), got "${given}"`);
  }
  return url.origin;
});

const WINDOWS_MS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000 };

/** A rate limit as the settings write it (`10/hour`, `off`); the inverse of `rateLimit` for whole windows. */
export function formatRateLimit(limit: RateLimit): string {
  if (limit === false) return 'off';
  const unit = Object.entries(WINDOWS_MS).find(([, ms]) => ms === limit.windowMs)?.[0];
  return unit === undefined ? `${limit.limit} per ${limit.windowMs} ms` : `${limit.limit}/${unit}`;
}

/** `N/second`, `N/minute`, `N/hour`, or `off`. */
export const rateLimit: Parser<RateLimit> = (given) => {
  const raw = given.trim();
  if (raw === 'off') return false;
  const match = /^(\d+)\s*\/\s*(second|minute|hour)$/.exec(raw);
  const limit = Number(match?.[1]);
  if (!match || !Number.isSafeInteger(limit) || limit < 1) throw new InvalidSetting(`must be N/second, N/minute or N/hour with N ≥ 1 (e.g. 10/hour), or off; got "${raw}"`);
  return { limit, windowMs: WINDOWS_MS[match[2] as string] as number };
};

/** A number of seconds from `minS`, in milliseconds. */
export const secondsToMs = (minS: number): Parser<number> => (raw) => {
  const value = Number(raw);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(raw) || !(value >= minS)) throw new InvalidSetting(`must be a number of seconds from ${minS} (e.g. 10 or 0.5), got "${raw}"`);
  return Math.round(value * 1000);
};

/** An integer from `min` to `max`. */
export const integerIn = (min: number, max: number): Parser<number> => (raw) => {
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || value < min || value > max) throw new InvalidSetting(`must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
};

/** A `YOLOOPS_JWT_SECRET` as accounts take it (≥ 32 bytes, no published example); its value is never echoed. */
export const jwtSecret: Parser<string> = (raw) => {
  try {
    checkJwtSecret(raw);
  } catch (error) {
    throw new InvalidSetting((error as Error).message.replace(/^YOLOOPS_JWT_SECRET /, ''));
  }
  return raw;
};

/** A password as accounts take it; its value is never echoed. */
export const password: Parser<string> = (raw) => {
  const parsed = PasswordSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidSetting(`is not a password accounts take: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return raw;
};

/** A path to a readable file (its content is checked where it is used). */
export const readableFile: Parser<string> = (given) => {
  const file = given.trim();
  try {
    accessSync(file, constants.R_OK);
    if (statSync(file).isFile()) return file;
  } catch {
    // falls through to the message
  }
  throw new InvalidSetting(`must be the path of a readable file, got "${file}"`);
};

/** A path to an executable file. */
export const executable: Parser<string> = (given) => {
  const file = given.trim();
  try {
    accessSync(file, constants.X_OK);
    if (statSync(file).isFile()) return file;
  } catch {
    // falls through to the message
  }
  throw new InvalidSetting(`must be the path of an executable file, got "${file}" (unset it to look the program up on PATH)`);
};

/** A `postgres://` or `postgresql://` URL (`postgres://user:password@host:5432/database`); its value is never echoed, as it holds a password. */
export const databaseUrl: Parser<string> = (given) => {
  const raw = given.trim();
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url === undefined || !['postgres:', 'postgresql:'].includes(url.protocol)) {
    const got = url === undefined ? 'something that is not a URL' : `a ${url.protocol.replace(/:$/, '')}: URL`;
    throw new InvalidSetting(`must be a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/database, got ${got}`);
  }
  return raw;
};

/** `per-data-root`, or a PostgreSQL schema name that needs no quoting (lower-case letters, digits, `_`). */
export const databaseSchema: Parser<string> = (given) => {
  const raw = given.trim();
  if (raw !== 'per-data-root' && !/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) {
    throw new InvalidSetting(`must be per-data-root or a schema name of lower-case letters, digits and _ (at most 63, not starting with a digit), got "${raw}"`);
  }
  return raw;
};

/** A `redis://` or `rediss://` URL (the Redis that BullMQ's job queues live on). */
export const redisUrl: Parser<string> = (given) => {
  const raw = given.trim();
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url === undefined || !['redis:', 'rediss:'].includes(url.protocol) || url.hostname === '') {
    const got = url === undefined ? 'something that is not a URL' : `a ${url.protocol.replace(/:$/, '')}: URL`;
    throw new InvalidSetting(`must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379, got ${got}`);
  }
  return raw;
};
