import { describe, expect, test } from 'vitest';
import type { NewUser, UserStore } from '../../../src/accounts/user-store.port.js';

const user = (username: string, extra: Partial<NewUser> = {}): NewUser => ({ username, email: null, role: 'member', password_hash: `scrypt$hash-of-${username}`, ...extra });

/** The behaviour every `UserStore` adapter must have. */
export function describeUserStoreContract(name: string, factory: () => Promise<UserStore> | UserStore): void {
  describe(`UserStore contract: ${name}`, () => {
    test('creates active users numbered from 1 with token version 0 and reads them back', async () => {
      const store = await factory();
      const a = await store.create(user('Ada', { email: 'ada@example.org', role: 'admin' }));
      expect(a).toMatchObject({ id: 1, username: 'Ada', email: 'ada@example.org', role: 'admin', is_active: true, password_hash: 'scrypt$hash-of-Ada', token_version: 0 });
      expect(a.updated_at).toBe(a.created_at);
      expect(Number.isNaN(Date.parse(a.created_at))).toBe(false);
      const b = await store.create(user('bob'));
      expect(b).toMatchObject({ id: 2, email: null, role: 'member' });
      expect(await store.get(1)).toEqual(a);
      expect(await store.get(3)).toBeUndefined();
      expect(await store.count()).toBe(2);
    });

    test('usernames are unique and found without regard to case; the stored spelling is kept', async () => {
      const store = await factory();
      await store.create(user('Grace.Hopper@navy'));
      expect((await store.getByUsername('grace.hopper@NAVY'))?.username).toBe('Grace.Hopper@navy');
      expect(await store.getByUsername('grace')).toBeUndefined();
      await expect(store.create(user('GRACE.HOPPER@NAVY'))).rejects.toMatchObject({ code: 'CONFLICT', reason: 'username_taken' });
      expect(await store.count()).toBe(1);
    });

    test('lists oldest first', async () => {
      const store = await factory();
      for (const n of ['c', 'a', 'b']) await store.create(user(n));
      expect((await store.list()).map((u) => [u.id, u.username])).toEqual([[1, 'c'], [2, 'a'], [3, 'b']]);
    });

    test('update changes only the given fields, bumps the token version when asked and moves updated_at', async () => {
      const store = await factory();
      const u = await store.create(user('u', { email: 'u@x.org' }));
      const disabled = await store.update(u.id, { is_active: false, bumpTokenVersion: true });
      expect(disabled).toMatchObject({ id: u.id, username: 'u', email: 'u@x.org', role: 'member', is_active: false, token_version: 1, password_hash: u.password_hash, created_at: u.created_at });
      expect(disabled && disabled.updated_at >= u.updated_at).toBe(true);
      await store.update(u.id, { role: 'admin', email: null, password_hash: 'scrypt$new' });
      expect(await store.get(u.id)).toMatchObject({ role: 'admin', email: null, password_hash: 'scrypt$new', is_active: false, token_version: 1 });
      await store.update(u.id, { is_active: true, bumpTokenVersion: true });
      expect(await store.getByUsername('U')).toMatchObject({ is_active: true, token_version: 2 });
      expect(await store.update(99, { role: 'admin' })).toBeUndefined();
    });

    test('returned users are copies', async () => {
      const store = await factory();
      const u = await store.create(user('u'));
      u.role = 'admin';
      u.token_version = 7;
      const listed = await store.list();
      listed[0]!.is_active = false;
      expect(await store.get(u.id)).toMatchObject({ role: 'member', token_version: 0, is_active: true });
    });
  });
}
