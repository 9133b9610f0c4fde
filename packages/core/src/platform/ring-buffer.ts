/** A fixed-capacity FIFO: pushing onto a full buffer drops the oldest item. */
export interface RingBuffer<T> {
  push(item: T): void;
  /** Oldest first. */
  toArray(): T[];
  readonly size: number;
}

/** @example const last = createRingBuffer<number>(3); [1, 2, 3, 4].forEach((n) => last.push(n)); last.toArray() // [2, 3, 4] */
export function createRingBuffer<T>(capacity: number): RingBuffer<T> {
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`ring buffer capacity must be a positive integer (got ${capacity})`);
  const items: T[] = new Array<T>(capacity);
  let start = 0;
  let size = 0;
  return {
    push(item) {
      items[(start + size) % capacity] = item;
      if (size < capacity) size += 1;
      else start = (start + 1) % capacity;
    },
    toArray: () => Array.from({ length: size }, (_, i) => items[(start + i) % capacity] as T),
    get size() {
      return size;
    },
  };
}
