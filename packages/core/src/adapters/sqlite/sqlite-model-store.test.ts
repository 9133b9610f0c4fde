import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { describeModelStoreContract } from '../../../test/support/contracts/model-store.contract.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { createSqliteModelStore } from './sqlite-model-store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-models-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeModelStoreContract('sqlite', () => createSqliteModelStore(openSqliteDatabase(path.join(dir, `m${(n += 1)}.db`))));
