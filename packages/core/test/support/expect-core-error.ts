import type { Readable } from 'node:stream';
import { expect } from 'vitest';
import { CoreError } from '../../src/errors.js';

type CoreErrorClass = abstract new (...args: never[]) => CoreError;

/** What a rejection must look like: its class, its `reason`, and the entry name its message quotes. */
export interface ExpectedRejection {
  type: CoreErrorClass;
  reason: string;
  /** Entry name that must appear, quoted, in the message. */
  entry?: string;
  /** Other text the message must contain. */
  message?: string;
}

/** Awaits `promise`, fails the test if it resolves, and asserts the `CoreError` it rejects with. */
export async function expectRejection(promise: Promise<unknown>, want: ExpectedRejection): Promise<CoreError> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error, 'expected a rejection').toBeInstanceOf(want.type);
  const core = error as CoreError;
  expect(core.reason).toBe(want.reason);
  if (want.entry !== undefined) expect(core.message).toContain(`"${want.entry}"`);
  if (want.message !== undefined) expect(core.message).toContain(want.message);
  return core;
}

/** Reads a stream to its end or first error, returning how many bytes arrived before that. */
export async function drain(stream: Readable): Promise<{ bytes: number; data: Buffer; error?: unknown }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      bytes += chunk.length;
    }
    return { bytes, data: Buffer.concat(chunks) };
  } catch (error) {
    return { bytes, data: Buffer.concat(chunks), error };
  }
}
