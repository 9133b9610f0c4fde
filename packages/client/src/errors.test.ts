import { describe, expect, test } from 'vitest';
import { toApiError, YoloopsApiError } from './errors.js';

describe('toApiError', () => {
  test.each([
    { dialect: 'S001 {detail, code}', given: { detail: 'Dataset not found', code: 'not_found' }, want: { detail: 'Dataset not found', code: 'not_found' } },
    { dialect: 'origin {detail} without code', given: { detail: 'Task not found' }, want: { detail: 'Task not found', code: undefined } },
    {
      dialect: 'FastAPI validation {detail: [issues]}',
      given: { detail: [
        { type: 'missing', loc: ['body', 'dataset_id'], msg: 'Field required', input: {} },
        { type: 'int_parsing', loc: ['query', 'n'], msg: 'Input should be a valid integer' },
      ] },
      want: { detail: 'body.dataset_id: Field required; query.n: Input should be a valid integer', code: undefined },
    },
    { dialect: 'FastAPI {detail: [strings]}', given: { detail: ['first', 'second'] }, want: { detail: 'first; second', code: undefined } },
    { dialect: 'FastAPI {detail: {message}}', given: { detail: { message: 'nested' } }, want: { detail: 'nested', code: undefined } },
    { dialect: 'S000 {code, message, data}', given: { code: 40401, message: 'model missing', data: null }, want: { detail: 'model missing', code: '40401' } },
    { dialect: 'S004 {success, code, msg, data}', given: { success: false, code: 'E_BUSY', msg: 'busy', data: null }, want: { detail: 'busy', code: 'E_BUSY' } },
    {
      dialect: 'S003 {error: {code, message, details}}',
      given: { error: { code: 'NOT_FOUND', message: 'no such job', details: {} }, timestamp: 't', request_id: 'r' },
      want: { detail: 'no such job', code: 'NOT_FOUND' },
    },
    { dialect: '{error: "text"}', given: { error: 'plain words' }, want: { detail: 'plain words', code: undefined } },
    { dialect: 'problem+json with detail', given: { type: 'about:blank', title: 'Conflict', status: 409, detail: 'already running' }, want: { detail: 'already running', code: undefined } },
    { dialect: 'problem+json with only a title', given: { type: 'about:blank', title: 'Conflict', status: 409 }, want: { detail: 'Conflict', code: undefined } },
    { dialect: 'plain-text 500', given: 'Internal Server Error', want: { detail: 'Internal Server Error', code: undefined } },
    { dialect: 'empty body', given: '', want: { detail: 'request failed with status 500', code: undefined } },
    { dialect: 'JSON null', given: null, want: { detail: 'request failed with status 500', code: undefined } },
    { dialect: 'an object without any message', given: { foo: 1 }, want: { detail: 'request failed with status 500', code: undefined } },
    { dialect: 'an empty detail', given: { detail: '', message: 'fallback' }, want: { detail: 'fallback', code: undefined } },
  ])('reads $dialect', ({ given, want }) => {
    const error = toApiError(500, given);
    expect(error).toBeInstanceOf(YoloopsApiError);
    expect({ detail: error.detail, code: error.code }).toEqual(want);
    expect(error.body).toBe(given);
    expect(typeof error.detail).toBe('string');
  });

  test('keeps the status and makes a readable Error message', () => {
    const error = toApiError(404, { detail: 'Dataset not found', code: 'not_found' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'YoloopsApiError', status: 404, message: 'HTTP 404: Dataset not found' });
  });

  test('cuts a long plain-text body (an HTML error page) to 1000 characters', () => {
    const page = `<html>${'x'.repeat(5000)}</html>`;
    expect(toApiError(502, page).detail).toBe(page.slice(0, 1000));
  });
});
