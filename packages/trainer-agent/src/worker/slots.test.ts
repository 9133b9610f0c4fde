import { describe, expect, test } from 'vitest';
import { createSlots } from './slots.js';

describe('createSlots', () => {
  test('hands out at most size slots and takes them back', () => {
    const slots = createSlots(2);
    expect([slots.tryAcquire(), slots.tryAcquire(), slots.tryAcquire()]).toEqual([true, true, false]);
    slots.release();
    expect(slots.used).toBe(1);
    expect(slots.tryAcquire()).toBe(true);
    slots.release();
    slots.release();
    slots.release();
    expect(slots.used).toBe(0);
  });

  test('refuses a size that is not a positive integer', () => {
    expect(() => createSlots(0)).toThrow(/positive integer/);
    expect(() => createSlots(1.5)).toThrow(/positive integer/);
  });
});
