import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { describeWorkerStoreContract } from '../../../test/support/contracts/worker-store.contract.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { createSqliteWorkerStore } from './sqlite-worker-store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-workers-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWorkerStoreContract('sqlite', () => createSqliteWorkerStore(openSqliteDatabase(path.join(dir, `w${(n += 1)}.db`))));
