import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { zipBytes } from '../../../core/test/support/craft-zip.js';
import { Harness, within } from './harness.js';
import { smallJpeg } from './payloads.js';

const jpeg = smallJpeg();

/** "Billion laughs": ten levels of nine aliases each, 9^9 strings once expanded. */
function aliasBomb(): string {
  const lines = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 10; i += 1) lines.push(`l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\nnames: *l9\n`;
}

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => h.close());

const datasetWith = (yaml: string) => h.upload(zipBytes({ 'data.yaml': yaml, 'images/train/a.jpg': jpeg, 'labels/train/a.txt': '0 0.5 0.5 0.2 0.2' }));

describe('POST /datasets/{dataset_id}/prepare with a hostile data.yaml', () => {
  test.each([
    ['an alias bomb (billion laughs)', aliasBomb, 'resource exhaustion'],
    ['20,000 nested brackets', () => `names: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, 'data.yaml'],
    ['a duplicate names key', () => 'names: [a]\nnames: [b]\n', 'unique'],
  ])('rejects %s with 400 invalid_yaml, quickly', async (_label, yaml, detail) => {
    const id = await datasetWith(yaml());
    const started = performance.now();
    await h.expectPrepareRejected(id, { status: 400, code: 'invalid_yaml', detail });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test('rejects names keyed by something other than class ids with 400 invalid_classes', async () => {
    const id = await datasetWith('names:\n  constructor: x\n');
    await h.expectPrepareRejected(id, { status: 400, code: 'invalid_classes', detail: '"constructor"' });
  });

  test('keeps a !!js/function tag and a __proto__ merge key inert', async () => {
    const yaml = 'base: &b {__proto__: {admin: true}, toString: 1}\nother: {<<: *b}\nfn: !!js/function "function () { globalThis.pwned = 1 }"\nnames: [cat]\n';
    const id = await datasetWith(yaml);
    const prepared = await within(h.client.datasets.prepare(id, {}), 'prepare');
    expect(prepared.classes).toEqual(['cat']);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
    expect(String({})).toBe('[object Object]');
    await h.expectHealthy();
  });
});
