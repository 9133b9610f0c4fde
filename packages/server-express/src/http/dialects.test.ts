import { describe, expect, test } from 'vitest';
import { renderError, ReplyWithMessage, wrapSuccess } from './dialects.js';

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
});
