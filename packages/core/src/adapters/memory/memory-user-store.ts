import { CoreError } from '../../errors.js';
import type { StoredUser, UserStore } from '../../accounts/user-store.port.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';

/** In-memory `UserStore` with the same semantics as the SQLite one. */
export function createMemoryUserStore(deps: { clock?: Clock } = {}): UserStore {
  const clock = deps.clock ?? systemClock;
  const users = new Map<number, StoredUser>();
  let last = 0;
  const byName = (username: string) => {
    const key = username.toLowerCase();
    return [...users.values()].find((u) => u.username.toLowerCase() === key);
  };
  return {
    async create(input) {
      if (byName(input.username)) throw new CoreError('CONFLICT', 'Username already registered', { reason: 'username_taken' });
      last += 1;
      const now = clock.now().toISOString();
      const user: StoredUser = { id: last, ...input, is_active: true, created_at: now, updated_at: now, token_version: 0 };
      users.set(user.id, user);
      return { ...user };
    },
    async get(id) {
      const user = users.get(id);
      return user && { ...user };
    },
    async getByUsername(username) {
      const user = byName(username);
      return user && { ...user };
    },
    list: async () => [...users.values()].sort((a, b) => a.id - b.id).map((u) => ({ ...u })),
    async update(id, patch) {
      const user = users.get(id);
      if (!user) return undefined;
      const { bumpTokenVersion, ...fields } = patch;
      const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      const next: StoredUser = { ...user, ...defined, token_version: user.token_version + (bumpTokenVersion ? 1 : 0), updated_at: clock.now().toISOString() };
      users.set(id, next);
      return { ...next };
    },
    count: async () => users.size,
  };
}
