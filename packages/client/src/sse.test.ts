import { describe, expect, test } from 'vitest';
import { parseSseData } from './sse.js';

async function collect(chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const data of parseSseData((async function* () {
    for (const c of chunks) yield Buffer.from(c);
  })())) out.push(data);
  return out;
}

describe('parseSseData', () => {
  test.each([
    { given: ['data: a\n\ndata: b\n\n'], want: ['a', 'b'] },
    { given: ['da', 'ta: split\n', '\n'], want: ['split'] },
    { given: [': ping\n\ndata: x\r\n\r\n'], want: ['x'] },
    { given: ['data: one\ndata: two\n\n'], want: ['one\ntwo'] },
    { given: ['event: info\ndata:{"a":1}\nid: 3\n\n'], want: ['{"a":1}'] },
    { given: ['data: 训练\n\n'], want: ['训练'] },
  ])('$given → $want', async ({ given, want }) => {
    expect(await collect(given)).toEqual(want);
  });

  test('does not split a UTF-8 character across chunks', async () => {
    const bytes = Buffer.from('data: 损失\n\n');
    const out: string[] = [];
    for await (const d of parseSseData((async function* () {
      yield bytes.subarray(0, 7);
      yield bytes.subarray(7);
    })())) out.push(d);
    expect(out).toEqual(['损失']);
  });
});
