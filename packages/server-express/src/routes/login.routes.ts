import { z } from 'zod';
import { HttpError } from '../http/errors.js';
import { defineRoute, type Route } from '../http/route.js';
import { logIn } from '../auth/login.js';

const LoginBody = z
  .object({ username: z.string().max(256).optional(), password: z.string().max(1024).optional() })
  .meta({ id: 'Seed003LoginRequest' });
const LoginToken = z.object({ token: z.string(), expires_in: z.number().int(), token_type: z.literal('Bearer') }).meta({ id: 'Seed003LoginToken' });

export const loginRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/api/v1/login', operationId: 'loginSeed003', summary: 'Seed 003: log in with JSON', tags: ['auth'], dialect: 's003', auth: 'public', rateLimit: 'login',
    description: 'Seed 003\'s login on the same accounts as `/api/v1/auth/token`: an `application/json` body (else 415) `{username, password}` (either missing: 400 "Username and password are required"); a wrong password, unknown user or disabled account is 401 "Invalid credentials". Also sets the session cookie.',
    body: LoginBody,
    responses: { 200: { description: 'The token', schema: LoginToken } },
    handler: async ({ body, req, res, services }) => {
      if (!req.is('application/json')) throw new HttpError(415, 'Content-Type must be application/json', 'unsupported_media_type');
      if (!body.username || !body.password) throw new HttpError(400, 'Username and password are required', 'missing_credentials');
      const outcome = await logIn(services, req, res, body.username, body.password);
      if (typeof outcome === 'string') throw new HttpError(401, 'Invalid credentials', outcome === 'inactive' ? 'user_inactive' : 'invalid_credentials');
      return { token: outcome.token, expires_in: outcome.expires_in, token_type: 'Bearer' as const };
    },
  }),
];
