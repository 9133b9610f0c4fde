import pg from 'pg';
import { describe, expect, test } from 'vitest';
import type { LogBusMessage } from '../../jobs/log-bus.port.js';
import { describeLogBusContract, heardAtLeast } from '../../../test/support/contracts/log-bus.contract.js';
import { fromPgPool } from './postgres-database.js';
import { createPostgresLogBus } from './postgres-log-bus.js';

const url = process.env.YOLOOPS_TEST_POSTGRES_URL;
if (url === undefined || url === '') throw new Error('YOLOOPS_TEST_POSTGRES_URL is not set: point it at a PostgreSQL server (npm run test:postgres)');
const channel = `yoloops_logs_test_${process.pid}`;

describeLogBusContract('postgres', async () => {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const a = createPostgresLogBus({ url, channel, db: fromPgPool(pool) });
  const b = createPostgresLogBus({ url, channel });
  return { a, b, carriesLines: false, close: async () => void (await Promise.all([a.close(), b.close(), pool.end()])) };
});

describe('postgres log bus: the listening connection breaks', () => {
  test('a terminated LISTEN backend reconnects and LISTENs again; a payload too big for NOTIFY is not sent', async () => {
    const a = createPostgresLogBus({ url, channel });
    const b = createPostgresLogBus({ url, channel, reconnectMs: 50 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const heard: LogBusMessage[] = [];
      await b.subscribe('job_p', (m) => heard.push(m));
      await a.publish('job_p', { attempt: 2, lines: ['never sent: the pointer only'], offset: 0, end: 10 });
      await heardAtLeast(heard, 1);
      expect(heard[0]).toEqual({ attempt: 2, offset: 0, end: 10 });
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query = 'LISTEN ${channel}' AND pid <> pg_backend_pid()`);
      expect(killed.rows.length).toBeGreaterThan(0);
      const deadline = Date.now() + 20_000;
      while (heard.length < 2 && Date.now() < deadline) {
        await a.publish('job_p', { attempt: 2, offset: 10, end: 20 });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(heard[1]).toEqual({ attempt: 2, offset: 10, end: 20 });
      await a.publish('x'.repeat(9000), { attempt: 1 });
    } finally {
      await admin.end();
      await Promise.all([a.close(), b.close()]);
    }
  });
});
