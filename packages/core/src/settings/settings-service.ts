import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import {
  DEFAULT_GPU_THRESHOLDS, DEFAULT_USER_PREFERENCES, GpuThresholdsSchema, UserPreferencesSchema,
  type GpuThresholds, type UserPreferences, type UserPreferencesPatch,
} from './settings.schema.js';
import type { SettingsStore, SettingValue } from './settings-store.port.js';

const GPU_THRESHOLDS_KEY = 'gpu-thresholds';
const userKey = (owner: string) => `user:${owner}`;

/** The stored value when it still fits the schema (over the defaults, so fields added later get theirs), else the defaults. */
function readAs<T>(schema: z.ZodType<T>, stored: SettingValue | undefined, defaults: T): T {
  if (stored === undefined || stored === null || typeof stored !== 'object' || Array.isArray(stored)) return defaults;
  const parsed = schema.safeParse({ ...defaults, ...stored });
  return parsed.success ? parsed.data : defaults;
}

function mustParse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ValidationError(`invalid ${what}: ${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}`, { reason: 'invalid_settings' });
}

/**
 * Settings people change: the GPU alert thresholds (one for the server) and each user's preferences
 * (keyed by an owner string: a user id, or `local` when auth is off). Updates of one key are serialized.
 * @example
 * const settings = createSettingsService({ store: createSqliteSettingsStore(db) });
 * await settings.updateUserPreferences('1', { theme: 'dark' });
 */
export function createSettingsService(deps: { store: SettingsStore }) {
  const { store } = deps;
  const queues = new Map<string, Promise<unknown>>();
  /** Runs `work` after every earlier update of `key` settled. */
  function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (queues.get(key) ?? Promise.resolve()).then(work, work);
    const settled = run.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => queues.get(key) === settled && queues.delete(key));
    return run;
  }

  return {
    gpuThresholds: async (): Promise<GpuThresholds> => readAs(GpuThresholdsSchema, await store.get(GPU_THRESHOLDS_KEY), DEFAULT_GPU_THRESHOLDS),
    /** Validates (else `ValidationError`) and stores the thresholds; returns what is stored. */
    setGpuThresholds: (thresholds: GpuThresholds): Promise<GpuThresholds> =>
      serialized(GPU_THRESHOLDS_KEY, async () => {
        const value = mustParse(GpuThresholdsSchema, thresholds, 'GPU thresholds');
        await store.set(GPU_THRESHOLDS_KEY, value);
        return value;
      }),
    userPreferences: async (owner: string): Promise<UserPreferences> => readAs(UserPreferencesSchema, await store.get(userKey(owner)), DEFAULT_USER_PREFERENCES),
    /** Applies the fields given onto the stored preferences (or the defaults) and stores the result. */
    updateUserPreferences: (owner: string, patch: UserPreferencesPatch): Promise<UserPreferences> =>
      serialized(userKey(owner), async () => {
        const current = readAs(UserPreferencesSchema, await store.get(userKey(owner)), DEFAULT_USER_PREFERENCES);
        const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
        const next = mustParse(UserPreferencesSchema, { ...current, ...defined }, 'user preferences');
        await store.set(userKey(owner), next);
        return next;
      }),
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
