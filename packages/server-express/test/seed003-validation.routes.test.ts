import { CoreError, InvalidStateError, NotFoundError } from '@yoloops/core';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createErrorHandler } from '../src/http/errors.js';
import { registerRoutes } from '../src/http/register-routes.js';
import { createRequestIdMiddleware } from '../src/http/request-id.js';
import { defineRoute, type Route } from '../src/http/route.js';
import { SEED003_MESSAGES, seed003Json, validateBatchGenerateRequest, validateDatasetProcess, validateGenerateRequest, validateTrainRequest } from '../src/seed003/validation.js';
import type { AppServices } from '../src/services.js';
import { rawRequest } from './support/http.js';

// The seed 003 routes themselves come with their services; these stand-ins declare them as they will be
// (s003 dialect, `validateBody: seed003Json(validator)`) and answer what the validator returned, so the
// real register-routes, error handler and request-id middleware are what is tested.
const echo = (path: string, validate: (body: unknown) => unknown, status: 200 | 202 = 200): Route =>
  defineRoute<undefined, undefined, unknown>({ method: 'post', path, operationId: path, summary: path, tags: ['t'], dialect: 's003', auth: 'public', status, validateBody: seed003Json(validate), responses: {}, handler: async ({ body }) => body });
const failing = (path: string, error: () => unknown, dialect: 's003' | 's002+s003' = 's003'): Route =>
  defineRoute({ method: 'get', path, operationId: path, summary: path, tags: ['t'], dialect, auth: 'public', responses: {}, handler: async () => Promise.reject(error()) });

const logged: string[] = [];
let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.use(createRequestIdMiddleware());
  app.use(express.json({ limit: '1mb' }));
  registerRoutes(app, [
    echo('/api/v1/train', validateTrainRequest, 202),
    echo('/api/v1/generate', validateGenerateRequest),
    echo('/api/v1/generate/batch', validateBatchGenerateRequest),
    echo('/api/v1/datasets/process', validateDatasetProcess),
    failing('/crash', () => new Error('sqlite at /srv/secret/app.db is locked')),
    failing('/missing', () => new NotFoundError(SEED003_MESSAGES.trainingNotFound, { reason: 'not_found' })),
    failing('/conflict', () => new InvalidStateError('the task is already completed')),
    failing('/busy', () => new CoreError('EXTERNAL_FAILURE', 'the generator is busy', { details: { retry_after_s: 2 } })),
    failing('/shared', () => new NotFoundError('Model not found'), 's002+s003'),
  ], {} as AppServices);
  app.use(createErrorHandler((message) => logged.push(message), () => 's003'));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (path: string, body: string | undefined, type: string | null = 'application/json') =>
  rawRequest(base, 'POST', path, { ...(body === undefined ? {} : { body }), headers: type === null ? {} : { 'content-type': type } });

describe('seed 003 validation through HTTP', () => {
  test.each([
    { path: '/api/v1/generate', given: { max_length: 0 }, message: 'Invalid generation request', details: ["缺少必需字段 'prompt'", "'max_length' 必须在 1 到 2048 之间"] },
    { path: '/api/v1/generate/batch', given: { prompts: ['ok', ''] }, message: 'Invalid batch generation request', details: ["'prompts[1]' 不能为空"] },
    { path: '/api/v1/train', given: { dataset_path: 'd', lora_config: { lora_dropout: 2 } }, message: 'Invalid training configuration', details: ["'lora_dropout' 必须在 0 到 1 之间"] },
    { path: '/api/v1/datasets/process', given: { dataset_id: 3, output_name: 'o' }, message: 'Invalid dataset process request', details: ["'dataset_id' 必须是一个字符串"] },
    { path: '/api/v1/generate', given: [{ prompt: 'x' }], message: 'Invalid generation request', details: ['请求体必须是一个 JSON 对象'] },
  ])('POST $path $given → 400 INVALID_REQUEST with the origin\'s details', async ({ path, given, message, details }) => {
    const res = await post(path, JSON.stringify(given));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { code: 'INVALID_REQUEST', message, reason: 'invalid_request', details }, timestamp: expect.any(String), request_id: res.headers['x-request-id'] });
  });

  test('a valid body reaches the handler with the defaults applied (202 for /train)', async () => {
    const res = await post('/api/v1/train', JSON.stringify({ dataset_path: 'data/processed/sample', config: { batch_size: 16 } }));
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ dataset_path: 'data/processed/sample', config: { batch_size: 16, learning_rate: 3e-5 }, lora_config: { r: 8 } });
  });

  test.each([
    { label: 'text/plain', body: '{"prompt":"x"}', type: 'text/plain' },
    { label: 'form-encoded', body: 'prompt=x', type: 'application/x-www-form-urlencoded' },
    { label: 'no Content-Type and no body', body: undefined, type: null },
  ])('a $label body is a 415 UNSUPPORTED_MEDIA_TYPE, as Flask 3.1\'s get_json answers', async ({ body, type }) => {
    const res = await post('/api/v1/generate', body, type);
    expect(res.status, res.text).toBe(415);
    expect(res.json).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: SEED003_MESSAGES.jsonRequired }, request_id: expect.any(String) });
  });

  test('malformed JSON is a 400 INVALID_REQUEST naming the problem', async () => {
    const res = await post('/api/v1/generate', '{"prompt": NaN}');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/^malformed request body/) } });
  });
});

describe('seed 003 errors other than validation', () => {
  test('an unexpected error is a 500 INTERNAL_ERROR that leaks nothing, logged with the request id', async () => {
    const res = await rawRequest(base, 'GET', '/crash', { headers: { 'x-request-id': 'req-crash-1' } });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal Server Error', reason: 'internal_error' }, timestamp: expect.any(String), request_id: 'req-crash-1' });
    expect(res.text).not.toContain('secret');
    expect(logged).toContain('GET /crash failed (request_id req-crash-1)');
  });

  test.each([
    { path: '/missing', status: 404, error: { code: 'NOT_FOUND', message: 'Training task not found' } },
    { path: '/conflict', status: 409, error: { code: 'CONFLICT', message: 'the task is already completed' } },
    { path: '/busy', status: 503, error: { code: 'SERVICE_UNAVAILABLE', message: 'the generator is busy' } },
  ])('GET $path → $status $error.code', async ({ path, status, error }) => {
    const res = await rawRequest(base, 'GET', path);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error, request_id: res.headers['x-request-id'] });
    expect((res.json as { error: object }).error).not.toHaveProperty('details');
    if (status === 503) expect(res.headers['retry-after']).toBe('2');
  });

  test('a shared seed 002/003 path answers both bodies', async () => {
    const res = await rawRequest(base, 'GET', '/shared');
    expect(res.json).toMatchObject({ detail: 'Model not found', code: 'not_found', error: { code: 'NOT_FOUND', message: 'Model not found' }, request_id: res.headers['x-request-id'] });
  });
});
