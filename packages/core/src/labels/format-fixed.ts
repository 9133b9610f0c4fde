const MAX_DIGITS = 100;
const TO_FIXED_LIMIT = 1e21;

/**
 * Formats like Python's `format(x, '.{digits}f')`: correctly rounded from the exact binary value, exact ties
 * half-to-even (0.0078125 → '0.007812' where JS `toFixed` gives '0.007813'), and '-0.000000' for negative zero
 * or tiny negatives.
 * @example formatFixed(0.0078125, 6) // '0.007812'
 * @see https://docs.python.org/3/library/string.html#format-specification-mini-language
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isInteger(digits) || digits < 0 || digits > MAX_DIGITS) {
    throw new RangeError(`digits must be an integer in [0, ${MAX_DIGITS}], got ${digits}`);
  }
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const magnitude = Math.abs(x);
  // toFixed is correctly rounded from the exact binary value; it only differs from Python on exact ties
  // (it picks the larger candidate) and switches to exponent notation at 1e21.
  const body =
    magnitude < TO_FIXED_LIMIT && !isExactTie(magnitude, digits)
      ? magnitude.toFixed(digits)
      : exactFixed(magnitude, digits);
  return negative ? `-${body}` : body;
}

/** True when `x * 10^digits` lies exactly halfway between two integers, i.e. `x * 2^(digits+1)` is an odd integer. */
function isExactTie(x: number, digits: number): boolean {
  const scaled = x * 2 ** (digits + 1); // multiplying by a power of two is exact (no overflow below 1e21)
  return Number.isInteger(scaled) && scaled % 2 === 1;
}

/** Exact decimal expansion of a finite non-negative double with half-to-even rounding, via BigInt. */
function exactFixed(x: number, digits: number): string {
  const { mantissa, exponent } = decompose(x);
  const scale = 10n ** BigInt(digits);
  let units: bigint;
  if (exponent >= 0) {
    units = (mantissa << BigInt(exponent)) * scale;
  } else {
    const numerator = mantissa * scale;
    const denominator = 1n << BigInt(-exponent);
    units = numerator / denominator;
    const twiceRemainder = (numerator % denominator) * 2n;
    if (twiceRemainder > denominator || (twiceRemainder === denominator && units % 2n === 1n)) units += 1n;
  }
  const text = units.toString().padStart(digits + 1, '0');
  if (digits === 0) return text;
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** Splits a finite non-negative double into `mantissa * 2^exponent` with an integer mantissa. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  if (biasedExponent === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biasedExponent - 1075 };
}
