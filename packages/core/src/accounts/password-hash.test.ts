import { describe, expect, test } from 'vitest';
import { decoyPasswordHash, DEFAULT_PASSWORD_COST, hashPassword, needsRehash, parsePasswordHash, verifyPassword } from './password-hash.js';

const cheap = { N: 2 ** 10, r: 8, p: 1 };

describe('hashPassword / verifyPassword', () => {
  test('encodes scrypt$N$r$p$salt$hash with a fresh salt each time and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery', cheap);
    const b = await hashPassword('correct horse battery', cheap);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  test('the default cost is OWASP\'s scrypt floor and really runs (128 MiB needs maxmem raised)', async () => {
    expect(DEFAULT_PASSWORD_COST).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    const stored = await hashPassword('pässwörd-ünïcode');
    expect(stored.startsWith('scrypt$131072$8$1$')).toBe(true);
    expect(await verifyPassword('pässwörd-ünïcode', stored)).toBe(true);
  });

  test('composed and decomposed Unicode spellings of one password match', async () => {
    const stored = await hashPassword('caf\u00e9-latte', cheap);
    expect(await verifyPassword('cafe\u0301-latte', stored)).toBe(true);
  });

  test('a hash it cannot read, or one asking for an absurd cost, is a mismatch and never an error', async () => {
    const good = await hashPassword('password1', cheap);
    const parts = good.split('$');
    for (const bad of ['', 'plain', 'bcrypt$2b$10$abc', `scrypt$1000$8$1$${parts[4]}$${parts[5]}`, `scrypt$${2 ** 24}$8$1$${parts[4]}$${parts[5]}`,
      `scrypt$1024$999$1$${parts[4]}$${parts[5]}`, `scrypt$1024$8$1$${parts[4]}$AAAA`, `scrypt$1024$8$1$${parts[4]}`]) {
      expect(parsePasswordHash(bad)).toBeUndefined();
      expect(await verifyPassword('password1', bad)).toBe(false);
    }
    await expect(hashPassword('x', { N: 1000, r: 8, p: 1 })).rejects.toThrow(/power of two/);
  });

  test('needsRehash when the stored cost is lower than the wanted one', async () => {
    const stored = await hashPassword('password1', cheap);
    expect(needsRehash(stored, cheap)).toBe(false);
    expect(needsRehash(stored, { ...cheap, N: 2 ** 11 })).toBe(true);
    expect(needsRehash(stored)).toBe(true);
    expect(needsRehash('garbage', cheap)).toBe(true);
  });

  test('the decoy hash has the asked cost and no password matches it', async () => {
    const decoy = decoyPasswordHash(cheap);
    expect(parsePasswordHash(decoy)?.cost).toEqual(cheap);
    expect(await verifyPassword('', decoy)).toBe(false);
    expect(await verifyPassword('anything at all', decoy)).toBe(false);
  });
});
