import { isCoreError, PasswordSchema, UserRoleSchema, UserSchema, UsernameSchema } from '@yoloops/core';
import { z } from 'zod';
import { authSettingsOf, clearSessionCookie, setSessionCookie } from '../auth/auth-settings.js';
import { currentUser, logIn, loginRefused } from '../auth/login.js';
import { HttpError } from '../http/errors.js';
import { principalOf } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import { errorResponses } from './params.js';

const TokenForm = z
  .object({
    username: z.string().min(1).max(256), password: z.string().min(1).max(1024),
    grant_type: z.string().optional().describe('OAuth2: "password" when given'), scope: z.string().optional(),
  })
  .meta({ id: 'OAuth2PasswordForm' });
const TokenSchema = z.object({ access_token: z.string(), token_type: z.literal('bearer'), expires_in: z.number().int() }).meta({ id: 'AccessToken' });
const MeSchema = UserSchema.meta({ id: 'CurrentUser' });
const Register = z
  .object({ username: UsernameSchema, password: PasswordSchema, email: z.string().email().max(320).nullish(), role: UserRoleSchema.optional().describe('Admins only; default member.') })
  .meta({ id: 'RegisterUserRequest' });
const PasswordChange = z.object({ current_password: z.string().min(1).max(1024), new_password: PasswordSchema }).meta({ id: 'ChangePasswordRequest' });
const Message = z.object({ message: z.string() }).meta({ id: 'AuthMessage' });
const s002 = { dialect: 's002' as const, tags: ['auth'] };

export const authRoutes: Route[] = [
  defineRoute({
    ...s002, method: 'post', path: '/api/v1/auth/token', operationId: 'login', summary: 'Log in (OAuth2 password form)', auth: 'public', rateLimit: 'login',
    description: 'An `application/x-www-form-urlencoded` form with `username` and `password` → a bearer token, also set as an HttpOnly, SameSite=Strict session cookie (for `<img>`, downloads and EventSource, GET only). A wrong password, an unknown user and a disabled account are 401 with `WWW-Authenticate: Bearer`.',
    body: TokenForm, bodyType: 'form',
    responses: { 200: { description: 'The token', schema: TokenSchema }, ...errorResponses(401, 422) },
    handler: async ({ body, req, res, services }) => {
      if (!req.is('application/x-www-form-urlencoded')) throw new HttpError(422, 'send the OAuth2 password form as application/x-www-form-urlencoded (username, password)', 'validation_error', [{ loc: ['body'], msg: 'an application/x-www-form-urlencoded form is required', type: 'content_type' }]);
      const outcome = await logIn(services, req, res, body.username, body.password);
      if (typeof outcome === 'string') throw loginRefused(res, outcome);
      return { access_token: outcome.token, token_type: 'bearer' as const, expires_in: outcome.expires_in };
    },
  }),
  defineRoute({
    ...s002, method: 'get', path: '/api/v1/auth/me', operationId: 'getCurrentUser', summary: 'The signed-in user',
    responses: { 200: { description: 'The user', schema: MeSchema }, ...errorResponses(401) },
    handler: ({ res, services }) => currentUser(services, res),
  }),
  defineRoute({
    ...s002, method: 'post', path: '/api/v1/auth/register', operationId: 'registerUser', summary: 'Create a user', auth: 'user', status: 201,
    description: 'Admins create users (any role). With open registration (`YOLOOPS_REGISTRATION=open`) anyone, signed in or not, may create a member account. 400 "Username already registered" for a taken name (in any case).',
    body: Register,
    responses: { 201: { description: 'Created', schema: UserSchema }, ...errorResponses(400, 401, 403, 422) },
    handler: async ({ body, res, req, services }) => {
      // Open registration lets a request without a token through, marked anonymous and without a principal.
      const principal = res.locals.anonymous === true ? undefined : principalOf(res);
      const admin = principal?.kind === 'local' || (principal?.kind === 'user' && principal.role === 'admin');
      if (!admin && authSettingsOf(req).registration !== 'open') throw new HttpError(403, 'only an admin may register users', 'admin_only');
      if (!admin && body.role === 'admin') throw new HttpError(403, 'only an admin may create an admin', 'admin_only');
      const role = admin ? (body.role ?? 'member') : 'member';
      return services.accounts.createUser({ username: body.username, password: body.password, email: body.email ?? null, role }).catch((error: unknown) => {
        if (isCoreError(error) && error.code === 'CONFLICT') throw new HttpError(400, 'Username already registered', 'username_taken');
        throw error;
      });
    },
  }),
  defineRoute({
    ...s002, method: 'post', path: '/api/v1/auth/logout', operationId: 'logout', summary: 'Log out: revoke this token, clear the session cookie',
    responses: { 200: { description: 'Logged out', schema: Message }, ...errorResponses(401) },
    handler: async ({ res, services }) => {
      const token = res.locals.authToken as string | undefined;
      if (token !== undefined) await services.accounts.revoke(token);
      clearSessionCookie(res);
      return { message: token === undefined ? 'No token to revoke (auth is off); session cookie cleared' : 'Successfully logged out' };
    },
  }),
  defineRoute({
    ...s002, method: 'put', path: '/api/v1/auth/password', operationId: 'changePassword', summary: 'Change your own password',
    description: 'Needs the current password. Every token of the account issued before stops working; the answer carries a fresh token (and session cookie) for this session.',
    body: PasswordChange,
    responses: { 200: { description: 'Changed, with a new token', schema: TokenSchema.extend({ message: z.string() }).meta({ id: 'PasswordChanged' }) }, ...errorResponses(400, 401, 422) },
    handler: async ({ body, req, res, services }) => {
      const user = await currentUser(services, res);
      const check = await services.accounts.authenticate(user.username, body.current_password);
      if (!check.ok) throw new HttpError(400, 'the current password is not correct', 'wrong_password');
      const updated = await services.accounts.setPassword(user.id, body.new_password);
      const issued = await services.accounts.issueToken(updated);
      setSessionCookie(req, res, issued.token, issued.expires_in);
      return { message: 'Password changed; other sessions are logged out', access_token: issued.token, token_type: 'bearer' as const, expires_in: issued.expires_in };
    },
  }),
];
