import { PasswordSchema, UserRoleSchema, UserSchema } from '@yoloops/core';
import { z } from 'zod';
import { HttpError } from '../http/errors.js';
import { principalOf } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import { errorResponses } from './params.js';

const UserIdParams = z.object({ user_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('The user\'s numeric id') });
const UserPatch = z
  .object({
    is_active: z.boolean().optional().describe('false disables the account: its tokens stop working and it cannot log in.'),
    role: UserRoleSchema.optional(),
    password: PasswordSchema.optional().describe('A new password; every token of the account stops working.'),
  })
  .strict()
  .meta({ id: 'UserPatch' });
const common = { dialect: 's002' as const, tags: ['users'], auth: 'admin' as const };

export const usersRoutes: Route[] = [
  defineRoute({
    ...common, method: 'get', path: '/api/v1/users', operationId: 'listUsers', summary: 'Every account (admin)',
    responses: { 200: { description: 'Users, oldest first', schema: z.array(UserSchema) }, ...errorResponses(401, 403) },
    handler: ({ services }) => services.accounts.list(),
  }),
  defineRoute({
    ...common, method: 'patch', path: '/api/v1/users/{user_id}', operationId: 'updateUser', summary: 'Enable, disable, change role or password (admin)',
    description: 'Disabling an account or setting its password ends every token it holds. An admin cannot disable or demote itself (another admin must).',
    params: UserIdParams, body: UserPatch,
    responses: { 200: { description: 'The user', schema: UserSchema }, ...errorResponses(400, 401, 403, 404, 422) },
    handler: async ({ params, body, res, services }) => {
      const principal = principalOf(res);
      const self = principal.kind === 'user' && principal.userId === params.user_id;
      if (self && (body.is_active === false || body.role === 'member')) throw new HttpError(400, 'an admin cannot disable or demote itself; ask another admin', 'self_demotion');
      let user = await services.accounts.get(params.user_id);
      if (user === undefined) throw new HttpError(404, `user ${params.user_id} not found`, 'user_not_found');
      if (body.password !== undefined) user = await services.accounts.setPassword(user.id, body.password);
      if (body.role !== undefined) user = await services.accounts.setRole(user.id, body.role);
      if (body.is_active !== undefined) user = await services.accounts.setActive(user.id, body.is_active);
      return user;
    },
  }),
];
