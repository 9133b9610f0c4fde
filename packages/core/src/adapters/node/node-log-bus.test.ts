import { describe, expect, test } from 'vitest';
import { openNodeLogBus } from './node-log-bus.js';

describe('openNodeLogBus', () => {
  test('without Redis or PostgreSQL URLs the bus is in-process: a publish reaches a subscriber at once', async () => {
    const bus = openNodeLogBus({});
    const heard: unknown[] = [];
    await bus.subscribe('job_1', (m) => heard.push(m));
    await bus.publish('job_1', { attempt: 1, lines: ['a'], offset: 0, end: 2 });
    expect(heard).toEqual([{ attempt: 1, lines: ['a'], offset: 0, end: 2 }]);
    await bus.close();
  });
});
