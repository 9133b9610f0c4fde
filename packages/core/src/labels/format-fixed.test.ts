import { describe, expect, test } from 'vitest';
import { formatFixed } from './format-fixed.js';

// Every `want` below was produced by CPython 3: format(given, '.{digits}f').
const cases: { given: [number, number]; want: string }[] = [
  { given: [0.0078125, 6], want: '0.007812' },
  { given: [-0.0078125, 6], want: '-0.007812' },
  { given: [0.5, 6], want: '0.500000' },
  { given: [0.5, 0], want: '0' },
  { given: [1.5, 0], want: '2' },
  { given: [2.5, 0], want: '2' },
  { given: [3.5, 0], want: '4' },
  { given: [-2.5, 0], want: '-2' },
  { given: [0.125, 2], want: '0.12' },
  { given: [0.375, 2], want: '0.38' },
  { given: [2.5e-7, 6], want: '0.000000' },
  { given: [5e-7, 6], want: '0.000000' },
  { given: [1.5e-6, 6], want: '0.000002' },
  { given: [0.9999995, 6], want: '1.000000' },
  { given: [0.0969375, 6], want: '0.096937' },
  { given: [-0, 6], want: '-0.000000' },
  { given: [-1e-9, 6], want: '-0.000000' },
  { given: [0, 6], want: '0.000000' },
  { given: [1, 6], want: '1.000000' },
  { given: [0.1234565, 6], want: '0.123456' },
  { given: [123456789.123456789, 6], want: '123456789.123457' },
  { given: [5e-324, 6], want: '0.000000' },
  { given: [1e21, 3], want: '1000000000000000000000.000' },
  { given: [1e22, 6], want: '10000000000000000000000.000000' },
  {
    given: [1.5e300, 2],
    want:
      '1500000000000000078757140382806630373056702871662238732373781173267703686983362293679557062620671796065556665749' +
      '325817265413784853040645863467188277180060474272580801389863705606745350692182135089053429852456199917621678558' +
      '451461320111979114170213741868888183230085264257173504208294580298189100810240.00',
  },
  { given: [Number.NaN, 6], want: 'nan' },
  { given: [Number.POSITIVE_INFINITY, 6], want: 'inf' },
  { given: [Number.NEGATIVE_INFINITY, 6], want: '-inf' },
];

describe('formatFixed', () => {
  test.each(cases)('formatFixed($given) → $want', ({ given, want }) => {
    expect(formatFixed(...given)).toBe(want);
  });

  test('rounds exact ties half-to-even where toFixed rounds them up', () => {
    expect((0.0078125).toFixed(6)).toBe('0.007813');
    expect(formatFixed(0.0078125, 6)).toBe('0.007812');
    expect(formatFixed(0.0234375, 6)).toBe('0.023438'); // odd neighbour → rounds up
  });

  test('agrees with an exact BigInt rounding on every 2^-k multiple near a tie', () => {
    // x = j / 2^7 are exact ties at 6 digits when j is odd; compare against integer arithmetic.
    for (let j = 0; j < 2000; j += 1) {
      const x = j / 128;
      const units = BigInt(j) * 10n ** 6n; // x * 10^6 * 128
      let rounded = units / 128n;
      const twice = (units % 128n) * 2n;
      if (twice > 128n || (twice === 128n && rounded % 2n === 1n)) rounded += 1n;
      const text = rounded.toString().padStart(7, '0');
      expect(formatFixed(x, 6)).toBe(`${text.slice(0, -6)}.${text.slice(-6)}`);
    }
  });

  test('matches toFixed away from exact ties', () => {
    let state = 12345;
    for (let i = 0; i < 10_000; i += 1) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const x = state / 2 ** 32;
      if (Number.isInteger(x * 128)) continue; // a possible tie, covered above
      expect(formatFixed(x, 6)).toBe(x.toFixed(6));
    }
  });

  test('rejects digits outside 0..100', () => {
    expect(() => formatFixed(1, -1)).toThrow(RangeError);
    expect(() => formatFixed(1, 1.5)).toThrow(/digits must be an integer/);
    expect(() => formatFixed(1, 101)).toThrow(RangeError);
  });
});
