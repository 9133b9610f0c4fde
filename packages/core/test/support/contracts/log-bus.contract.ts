import { afterEach, describe, expect, test } from 'vitest';
import type { LogBus, LogBusMessage } from '../../../src/jobs/log-bus.port.js';

/** Two ends of one bus, as two server replicas hold them (the memory bus: the same instance twice). */
export interface LogBusPair {
  a: LogBus;
  b: LogBus;
  /** Whether messages carry their lines (false: a pointer-only bus such as PostgreSQL NOTIFY). */
  carriesLines: boolean;
  close(): Promise<void>;
}

/** Resolves once `heard` holds `count` messages (polling every 10 ms, at most 10 s). */
export async function heardAtLeast(heard: readonly LogBusMessage[], count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (heard.length < count) {
    if (Date.now() > deadline) throw new Error(`heard ${heard.length} of ${count} messages within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Behaviour every `LogBus` adapter must show: a message published on one end reaches the other end's
 * subscribers of that job only, in publish order, until they unsubscribe.
 * @example describeLogBusContract('memory', async () => { const bus = createMemoryLogBus(); return { a: bus, b: bus, carriesLines: true, close: () => bus.close() }; });
 */
export function describeLogBusContract(name: string, factory: () => Promise<LogBusPair>): void {
  describe(`${name}: LogBus contract`, () => {
    let pair: LogBusPair | undefined;
    afterEach(async () => {
      await pair?.close();
      pair = undefined;
    });
    const open = async () => (pair = await factory());
    const message = (i: number): LogBusMessage => ({ attempt: 1, lines: [`line ${i}`], offset: i * 7, end: (i + 1) * 7 });

    test('a publish on one replica reaches the other\'s subscriber of that job, in order, and no other job\'s', async () => {
      const { a, b, carriesLines } = await open();
      const heard: LogBusMessage[] = [];
      const other: LogBusMessage[] = [];
      await b.subscribe('job_a', (m) => heard.push(m));
      await b.subscribe('job_b', (m) => other.push(m));
      for (let i = 0; i < 20; i++) await a.publish('job_a', message(i));
      await heardAtLeast(heard, 20);
      expect(heard.map((m) => [m.attempt, m.offset, m.end])).toEqual(Array.from({ length: 20 }, (_, i) => [1, i * 7, (i + 1) * 7]));
      if (carriesLines) expect(heard.map((m) => m.lines)).toEqual(Array.from({ length: 20 }, (_, i) => [`line ${i}`]));
      expect(other).toEqual([]);
    });

    test('every subscriber hears a message; one that unsubscribed hears no more', async () => {
      const { a, b } = await open();
      const first: LogBusMessage[] = [];
      const second: LogBusMessage[] = [];
      const stopFirst = await b.subscribe('job_c', (m) => first.push(m));
      await a.subscribe('job_c', (m) => second.push(m));
      await a.publish('job_c', message(0));
      await heardAtLeast(first, 1);
      await heardAtLeast(second, 1);
      stopFirst();
      await a.publish('job_c', message(1));
      await heardAtLeast(second, 2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(first).toHaveLength(1);
    });

    test('a listener that throws does not keep the others from hearing', async () => {
      const { a, b } = await open();
      const heard: LogBusMessage[] = [];
      await b.subscribe('job_d', () => {
        throw new Error('closed stream');
      });
      await b.subscribe('job_d', (m) => heard.push(m));
      await a.publish('job_d', message(0));
      await heardAtLeast(heard, 1);
    });
  });
}
