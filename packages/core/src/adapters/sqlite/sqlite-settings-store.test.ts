import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createMemorySettingsStore } from '../memory/memory-settings-store.js';
import { createSettingsService } from '../../settings/settings-service.js';
import { DEFAULT_GPU_THRESHOLDS, DEFAULT_USER_PREFERENCES } from '../../settings/settings.schema.js';
import { describeSettingsStoreContract } from '../../../test/support/contracts/settings-store.contract.js';
import { openSqliteDatabase, type SqliteDatabase } from './sqlite-database.js';
import { createSqliteSettingsStore } from './sqlite-settings-store.js';

const root = mkdtempSync(path.join(tmpdir(), 'yoloops-settings-'));
const databases: SqliteDatabase[] = [];
let n = 0;
const database = (file = path.join(root, `db-${n++}`, 'yoloops.db')) => {
  const db = openSqliteDatabase(file);
  databases.push(db);
  return db;
};
afterAll(() => {
  for (const db of databases) if (db.open) db.close();
  rmSync(root, { recursive: true, force: true });
});

describeSettingsStoreContract('memory', () => createMemorySettingsStore());
describeSettingsStoreContract('sqlite', () => createSqliteSettingsStore(database()));

describe('createSettingsService on SQLite', () => {
  test('GPU thresholds and per-user preferences survive reopening the database', async () => {
    const file = path.join(root, 'reopen', 'yoloops.db');
    const first = database(file);
    const before = createSettingsService({ store: createSqliteSettingsStore(first) });
    expect(await before.gpuThresholds()).toStrictEqual({ warning_utilization: 80, critical_utilization: 95, warning_memory: 80, critical_memory: 95 });
    await before.setGpuThresholds({ warning_utilization: 70, critical_utilization: 90, warning_memory: 60, critical_memory: 85 });
    await before.updateUserPreferences('1', { theme: 'dark' });
    await before.updateUserPreferences('1', { language: 'en-US' });
    first.close();
    const after = createSettingsService({ store: createSqliteSettingsStore(database(file)) });
    expect(await after.gpuThresholds()).toStrictEqual({ warning_utilization: 70, critical_utilization: 90, warning_memory: 60, critical_memory: 85 });
    expect(await after.userPreferences('1')).toStrictEqual({ ...DEFAULT_USER_PREFERENCES, theme: 'dark', language: 'en-US' });
    expect(await after.userPreferences('2')).toStrictEqual(DEFAULT_USER_PREFERENCES);
  });

  test('concurrent updates of one user all land (read-modify-write is serialized)', async () => {
    const settings = createSettingsService({ store: createSqliteSettingsStore(database()) });
    await Promise.all([
      settings.updateUserPreferences('local', { theme: 'dark' }),
      settings.updateUserPreferences('local', { notifications: false }),
      settings.updateUserPreferences('local', { gpu_alerts: false }),
      settings.updateUserPreferences('local', { default_project: 3 }),
    ]);
    expect(await settings.userPreferences('local')).toMatchObject({ theme: 'dark', notifications: false, gpu_alerts: false, default_project: 3 });
  });

  test('invalid thresholds or preferences are a ValidationError and change nothing', async () => {
    const settings = createSettingsService({ store: createMemorySettingsStore() });
    await expect(settings.setGpuThresholds({ ...DEFAULT_GPU_THRESHOLDS, warning_memory: 99 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('warning_memory (99) must not exceed critical_memory (95)') });
    await expect(settings.setGpuThresholds({ ...DEFAULT_GPU_THRESHOLDS, critical_utilization: 101 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(settings.updateUserPreferences('1', { theme: 'neon' as 'dark' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await settings.gpuThresholds()).toStrictEqual(DEFAULT_GPU_THRESHOLDS);
    expect(await settings.userPreferences('1')).toStrictEqual(DEFAULT_USER_PREFERENCES);
  });

  test('a stored value that no longer fits reads as the defaults', async () => {
    const store = createMemorySettingsStore();
    await store.set('gpu-thresholds', { warning_utilization: 'high' });
    await store.set('user:1', ['not', 'an', 'object']);
    const settings = createSettingsService({ store });
    expect(await settings.gpuThresholds()).toStrictEqual(DEFAULT_GPU_THRESHOLDS);
    expect(await settings.userPreferences('1')).toStrictEqual(DEFAULT_USER_PREFERENCES);
  });
});
