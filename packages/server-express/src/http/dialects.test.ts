import { describe, expect, test } from 'vitest';
import { renderError, ReplyWithMessage, seed003Code, wrapSuccess } from './dialects.js';

const notFound = { status: 404, detail: 'Job not found', code: 'not_found' };

describe('dialects', () => {
  test.each([
    { dialect: 's001' as const, want: { status: 404, body: { detail: 'Job not found', code: 'not_found' } } },
    { dialect: 's000' as const, want: { status: 404, body: { code: 404, message: 'Job not found', data: null, reason: 'not_found' } } },
    { dialect: 's004' as const, want: { status: 200, body: { success: false, code: 404, msg: 'Job not found', data: null, reason: 'not_found' } } },
  ])('renders an error in $dialect', ({ dialect, want }) => {
    expect(renderError(dialect, notFound)).toEqual(want);
  });

  test.each([
    { dialect: 's001' as const, want: { a: 1 } },
    { dialect: 's000' as const, want: { code: 200, message: 'success', data: { a: 1 } } },
    { dialect: 's004' as const, want: { success: true, code: 200, msg: 'ok', data: { a: 1 } } },
  ])('wraps a success in $dialect', ({ dialect, want }) => {
    expect(wrapSuccess(dialect, { a: 1 })).toEqual(want);
  });

  test('s004 sends an empty string when there is no data, as SingleResponseString does', () => {
    expect(wrapSuccess('s004', undefined)).toEqual({ success: true, code: 200, msg: 'ok', data: '' });
  });

  test('validation details stay in s001 errors', () => {
    expect(renderError('s001', { ...notFound, status: 422, errors: [{ loc: ['body', 'x'] }] }).body).toMatchObject({ errors: [{ loc: ['body', 'x'] }] });
  });

  test('s004 carries a handler\'s msg; other dialects ignore it', () => {
    expect(wrapSuccess('s004', new ReplyWithMessage('ok: job is already completed', ''))).toEqual({ success: true, code: 200, msg: 'ok: job is already completed', data: '' });
    expect(wrapSuccess('s001', new ReplyWithMessage('x', { a: 1 }))).toEqual({ a: 1 });
  });

  test('s004 reports a validation failure as code 400', () => {
    expect(renderError('s004', { status: 422, detail: 'invalid body epoch', code: 'validation_error' }).body).toMatchObject({ success: false, code: 400 });
  });

  test.each([
    { status: 400, want: 'INVALID_REQUEST' },
    { status: 401, want: 'UNAUTHORIZED' },
    { status: 403, want: 'FORBIDDEN' },
    { status: 404, want: 'NOT_FOUND' },
    { status: 409, want: 'CONFLICT' },
    { status: 413, want: 'INVALID_REQUEST' },
    { status: 415, want: 'UNSUPPORTED_MEDIA_TYPE' },
    { status: 429, want: 'TOO_MANY_REQUESTS' },
    { status: 500, want: 'INTERNAL_ERROR' },
    { status: 502, want: 'INTERNAL_ERROR' },
    { status: 503, want: 'SERVICE_UNAVAILABLE' },
  ])('seed 003 code of HTTP $status is $want', ({ status, want }) => {
    expect(seed003Code(status)).toBe(want);
    expect(renderError('s003', { status, detail: 'x', code: 'y' }, 'req-1')).toEqual({ status, body: { error: { code: want, message: 'x', reason: 'y' }, timestamp: expect.any(String), request_id: 'req-1' } });
  });

  test('s003: a validation error carries its details list; a FastAPI-style 422 becomes a 400', () => {
    const details = ["缺少必需字段 'prompt'"];
    expect(renderError('s003', { status: 400, detail: 'Invalid generation request', code: 'invalid_request', errors: details }, 'r').body).toMatchObject({ error: { code: 'INVALID_REQUEST', message: 'Invalid generation request', details } });
    expect(renderError('s003', { status: 422, detail: 'invalid body', code: 'validation_error', errors: [] }, 'r').status).toBe(400);
  });

  test('s002+s003 carries both bodies with seed 002\'s status', () => {
    expect(renderError('s002+s003', notFound, 'req-9')).toEqual({
      status: 404,
      body: { detail: 'Job not found', code: 'not_found', error: { code: 'NOT_FOUND', message: 'Job not found', reason: 'not_found' }, timestamp: expect.any(String), request_id: 'req-9' },
    });
    const invalid = renderError('s002+s003', { status: 422, detail: 'invalid query limit', code: 'validation_error', errors: [{ loc: ['query', 'limit'], msg: 'too big', type: 'too_big' }] }, 'r');
    expect(invalid).toMatchObject({ status: 422, body: { detail: [{ loc: ['query', 'limit'] }], error: { code: 'INVALID_REQUEST', details: [{ loc: ['query', 'limit'] }] } } });
  });
});
