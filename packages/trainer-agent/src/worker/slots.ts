/** A counting semaphore without waiting: callers take a slot or learn that none is free. */
export interface Slots {
  /** Takes a slot; false when all `size` are taken. */
  tryAcquire(): boolean;
  /** Gives a slot back (more releases than acquires are ignored). */
  release(): void;
  /** Slots taken right now. */
  readonly used: number;
  readonly size: number;
}

/** Creates `size` slots shared by every queue a worker consumes (its concurrency). */
export function createSlots(size: number): Slots {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`slots: size must be a positive integer (got ${size})`);
  let used = 0;
  return {
    tryAcquire() {
      if (used >= size) return false;
      used += 1;
      return true;
    },
    release() {
      used = Math.max(0, used - 1);
    },
    get used() {
      return used;
    },
    size,
  };
}
