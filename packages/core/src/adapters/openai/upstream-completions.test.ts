import { describe, expect, test } from 'vitest';
import { completionBody, finishReason, sequenceSeed } from './upstream-completions.js';

describe('sequenceSeed', () => {
  test('the first sequence keeps the given seed', () => {
    expect(sequenceSeed(1234, 0)).toBe(1234);
  });

  test('the seeds of 5 sequences are distinct, 31-bit, and the same for the same seed', () => {
    for (const seed of [0, 1, 42, 2 ** 31 - 1]) {
      const seeds = [0, 1, 2, 3, 4].map((i) => sequenceSeed(seed, i));
      expect(new Set(seeds).size).toBe(5);
      expect(seeds.slice(1).every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31)).toBe(true);
      expect([0, 1, 2, 3, 4].map((i) => sequenceSeed(seed, i))).toEqual(seeds);
    }
  });

  test('neighbouring seeds do not share derived seeds (seed + i would)', () => {
    const a = [1, 2, 3, 4].map((i) => sequenceSeed(7, i));
    const b = [0, 1, 2, 3, 4].map((i) => sequenceSeed(8, i));
    expect(a.filter((s) => b.includes(s))).toEqual([]);
  });
});

describe('finishReason', () => {
  test.each([
    ['length', 'length'], ['max_tokens', 'length'], ['stop', 'stop'], ['eos_token', 'stop'], ['stop_sequence', 'stop'], [null, 'stop'], [undefined, 'stop'],
  ] as const)('%s → %s', (given, want) => {
    expect(finishReason(given)).toBe(want);
  });
});

describe('completionBody', () => {
  const params = { prompt: 'p', limit: { kind: 'new' as const, tokens: 4 }, temperature: 0, topP: 1, topK: 3 };

  test('leaves out top_k unless asked, and seed and stop when not given', () => {
    expect(completionBody('m', params, 4, false)).toEqual({ model: 'm', prompt: 'p', max_tokens: 4, temperature: 0, top_p: 1 });
    expect(completionBody('m', { ...params, seed: 0, stop: ['\n'] }, 4, true)).toEqual({ model: 'm', prompt: 'p', max_tokens: 4, temperature: 0, top_p: 1, top_k: 3, seed: 0, stop: ['\n'] });
  });

  test('an empty stop list is not sent', () => {
    expect(completionBody('m', { ...params, stop: [] }, 4, false)).not.toHaveProperty('stop');
  });
});
