import { z } from 'zod';

/** `admin` sees and changes everything; a `member` its own resources. */
export const UserRoleSchema = z.enum(['admin', 'member']).meta({ id: 'UserRole' });
export type UserRole = z.infer<typeof UserRoleSchema>;

/** 1–64 of `A-Z a-z 0-9 _ . @ -`; unique without regard to case. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;
export const UsernameSchema = z.string().regex(USERNAME_PATTERN, 'a username is 1–64 of the characters A-Z a-z 0-9 _ . @ -');

/** 8–1024 characters (long passphrases welcome; the cap keeps one hash bounded). */
export const PasswordSchema = z.string().min(8, 'a password has at least 8 characters').max(1024, 'a password has at most 1024 characters');

/** An account as the API shows it; its password hash and token version never leave core. */
export const UserSchema = z
  .object({
    id: z.number().int().positive(),
    username: z.string(),
    email: z.string().nullable(),
    role: UserRoleSchema,
    is_active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof UserSchema>;
