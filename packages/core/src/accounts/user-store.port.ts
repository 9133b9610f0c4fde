import type { User, UserRole } from './user.schema.js';

/** A user as stored: the public fields plus its password hash and the version every token must carry. */
export interface StoredUser extends User {
  /** Self-describing scrypt hash (`scrypt$N$r$p$salt$hash`). */
  password_hash: string;
  /** Bumped when the password changes or the user is disabled; tokens carrying an older one are refused. */
  token_version: number;
}

export interface NewUser {
  username: string;
  email: string | null;
  role: UserRole;
  password_hash: string;
}

export interface UserPatch {
  email?: string | null;
  role?: UserRole;
  is_active?: boolean;
  password_hash?: string;
  /** Adds one to `token_version` (every token issued so far stops working). */
  bumpTokenVersion?: boolean;
}

/** Accounts; usernames are unique without regard to case, ids are numbered from 1 and never reused. */
export interface UserStore {
  /** Throws a `CONFLICT` CoreError (reason `username_taken`) when the username exists in any case. */
  create(input: NewUser): Promise<StoredUser>;
  get(id: number): Promise<StoredUser | undefined>;
  /** Case-insensitive. */
  getByUsername(username: string): Promise<StoredUser | undefined>;
  /** Oldest first. */
  list(): Promise<StoredUser[]>;
  /** undefined when there is no such user; moves `updated_at`. */
  update(id: number, patch: UserPatch): Promise<StoredUser | undefined>;
  count(): Promise<number>;
}
