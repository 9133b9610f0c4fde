import { describe, expect, test } from 'vitest';
import { watchParent } from './parent-watch.js';

describe('watchParent', () => {
  test('does nothing without a parent pid, or while the parent is the one expected', async () => {
    let orphaned = 0;
    const none = watchParent(undefined, () => orphaned++, 5);
    const same = watchParent(String(process.ppid), () => orphaned++, 5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    none.stop();
    same.stop();
    expect(orphaned).toBe(0);
  });

  test('calls back once the parent is not the expected one any more', async () => {
    const orphaned = await new Promise<boolean>((resolve) => {
      const watch = watchParent('999999', () => resolve(true), 5);
      setTimeout(() => (watch.stop(), resolve(false)), 2000);
    });
    expect(orphaned).toBe(true);
  });
});
