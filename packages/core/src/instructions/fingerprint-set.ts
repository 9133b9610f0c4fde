import { hash } from 'node:crypto';

/** A set of 64-bit content fingerprints in two typed arrays (16 bytes a slot, open addressing), so memory stays flat. */
export interface FingerprintSet {
  /** Adds the fingerprint of `text`; false when it was already there. */
  add(text: string): boolean;
  readonly size: number;
}

/** First 8 bytes of SHA-1 as two unsigned 32-bit halves; (0, 0) marks an empty slot, so it is moved to (0, 1). */
function fingerprint(text: string): [number, number] {
  const digest = hash('sha1', text, 'buffer');
  const hi = digest.readUInt32LE(0);
  const lo = digest.readUInt32LE(4);
  return hi === 0 && lo === 0 ? [0, 1] : [hi, lo];
}

/**
 * Creates an empty fingerprint set that doubles its table at half load (two records collide with
 * odds about n²/2⁶⁵: none in practice below billions of records).
 * @example const seen = createFingerprintSet(); seen.add('a'); seen.add('a') // false
 */
export function createFingerprintSet(initialSlots = 1 << 16): FingerprintSet {
  let capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialSlots)));
  let his = new Uint32Array(capacity);
  let los = new Uint32Array(capacity);
  let size = 0;

  const insert = (hi: number, lo: number): boolean => {
    const mask = capacity - 1;
    for (let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask; ; slot = (slot + 1) & mask) {
      if (his[slot] === 0 && los[slot] === 0) {
        his[slot] = hi;
        los[slot] = lo;
        return true;
      }
      if (his[slot] === hi && los[slot] === lo) return false;
    }
  };
  const grow = () => {
    const [oldHis, oldLos] = [his, los];
    capacity *= 2;
    his = new Uint32Array(capacity);
    los = new Uint32Array(capacity);
    for (let i = 0; i < oldHis.length; i++) if (oldHis[i] !== 0 || oldLos[i] !== 0) insert(oldHis[i]!, oldLos[i]!);
  };

  return {
    add(text) {
      const [hi, lo] = fingerprint(text);
      if (!insert(hi, lo)) return false;
      size += 1;
      if (size * 2 > capacity) grow();
      return true;
    },
    get size() {
      return size;
    },
  };
}
