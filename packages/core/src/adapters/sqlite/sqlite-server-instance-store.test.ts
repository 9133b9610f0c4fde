import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { describeServerInstanceStoreContract } from '../../../test/support/contracts/server-instance-store.contract.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { createSqliteServerInstanceStore } from './sqlite-server-instance-store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-servers-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeServerInstanceStoreContract('sqlite', () => createSqliteServerInstanceStore(openSqliteDatabase(path.join(dir, `s${(n += 1)}.db`))));
