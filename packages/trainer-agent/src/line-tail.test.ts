import { describe, expect, test } from 'vitest';
import { createLineTail } from './line-tail.js';

describe('createLineTail', () => {
  test('keeps only the last lines, joins chunks split mid-line, and drops progress-bar redraws and ANSI colours', () => {
    const tail = createLineTail(3, 50);
    for (let i = 0; i < 100; i++) tail.push(`line ${i}\n`);
    tail.push('  5%|#    | 1/20\r 50%|#####| 10/20\r\n');
    tail.push('\u001b[31mRuntimeError: CUDA out');
    tail.push(' of memory\u001b[0m');
    expect(tail.text()).toBe('line 99\n 50%|#####| 10/20\nRuntimeError: CUDA out of memory');
  });

  test('bounds a line that never ends', () => {
    const tail = createLineTail(2, 10);
    for (let i = 0; i < 10_000; i++) tail.push('x'.repeat(100));
    expect(tail.text().length).toBeLessThanOrEqual(10);
  });
});
