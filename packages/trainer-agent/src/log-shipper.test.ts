import { describe, expect, test } from 'vitest';
import { createLogShipper } from './log-shipper.js';

/** A shipper whose batches land in `batches`; the timer is long, so only fullness and close() send. */
function capture(flushMs = 60_000) {
  const batches: string[][] = [];
  const shipper = createLogShipper({ send: async (lines) => void batches.push(lines), flushMs });
  return { batches, shipper };
}

describe('createLogShipper', () => {
  test('keeps the order of both streams, joins lines split across chunks (UTF-8 too) and sends the rest on close', async () => {
    const { batches, shipper } = capture();
    const euro = Buffer.from('€');
    shipper.push('stdout', 'Epoch 1/3\nlo');
    shipper.push('stderr', Buffer.from('warn: slow\r\n'));
    shipper.push('stdout', Buffer.concat([Buffer.from('ss 0.5 '), euro.subarray(0, 1)]));
    shipper.push('stdout', Buffer.concat([euro.subarray(1), Buffer.from('\n\nunterminated')]));
    expect(batches).toEqual([]);
    await shipper.close();
    expect(batches).toEqual([['Epoch 1/3', 'warn: slow', 'loss 0.5 €', 'unterminated']]);
  });

  test('a progress bar redrawn with \\r costs one line per batch, its last frame; \\r\\n split across chunks is one line end', async () => {
    const { batches, shipper } = capture();
    shipper.push('stderr', '  1/10 [..]\r  5/10 [....]\r');
    shipper.push('stdout', 'other line\n');
    shipper.push('stderr', ' 10/10 [.....]\r');
    shipper.push('stderr', '\nvalidating\r');
    shipper.push('stderr', '\n');
    await shipper.close();
    expect(batches).toEqual([[' 10/10 [.....]', 'other line', 'validating']]);
  });

  test('a batch holds at most 500 lines and 256 KiB; the timer sends a partial batch', async () => {
    const { batches, shipper } = capture();
    shipper.push('stdout', Array.from({ length: 1201 }, (_, i) => `line ${i}\n`).join(''));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches.map((b) => b.length)).toEqual([500, 500]);
    const big = 'x'.repeat(10_000);
    shipper.push('stdout', `${big}\n`.repeat(30));
    await shipper.close();
    expect(batches.flat().filter((l) => l.startsWith('line'))).toHaveLength(1201);
    for (const batch of batches) expect(Buffer.byteLength(batch.join(''))).toBeLessThanOrEqual(256 * 1024);
    const timed = capture(20);
    timed.shipper.push('stdout', 'soon\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(timed.batches).toEqual([['soon']]);
    await timed.shipper.close();
  });
});
