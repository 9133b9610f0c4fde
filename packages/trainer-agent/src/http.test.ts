import { describe, expect, test } from 'vitest';
import { classifyResponse, routeUrl } from './http.js';

describe('classifyResponse', () => {
  const envelope = (success: boolean, msg = '', code = 0) => JSON.stringify({ success, code, msg, data: '' });
  test.each([
    { name: '200 success true is an ack', status: 200, body: envelope(true), want: { kind: 'acked', status: 200 } },
    { name: '204 without a body is an ack', status: 204, body: '', want: { kind: 'acked', status: 204 } },
    { name: '200 success false is a permanent rejection', status: 200, body: envelope(false, 'unknown task'), want: { kind: 'rejected', status: 200, message: 'unknown task' } },
    { name: '200 success false with a 400 code is a permanent rejection', status: 200, body: envelope(false, 'bad epoch', 400), want: { kind: 'rejected', status: 200, message: 'bad epoch' } },
    { name: '200 success false with a 5xx code (the database away) is retried', status: 200, body: envelope(false, 'Internal error', 500), want: { kind: 'retry', reason: 'HTTP 200 with code 500 Internal error' } },
    { name: '200 success false with a 429 code is retried', status: 200, body: envelope(false, '', 429), want: { kind: 'retry', reason: 'HTTP 200 with code 429' } },
    { name: '400 is permanent, with the server msg', status: 400, body: envelope(false, 'epoch must be ≥ 0'), want: { kind: 'rejected', status: 400, message: 'epoch must be ≥ 0' } },
    { name: '404 with a non-JSON body is permanent', status: 404, body: 'Not Found', want: { kind: 'rejected', status: 404, message: 'Not Found' } },
    { name: '408 is retried', status: 408, body: '', want: { kind: 'retry', reason: 'HTTP 408' } },
    { name: '429 is retried with Retry-After', status: 429, body: envelope(false, 'slow down'), retryAfter: '2', want: { kind: 'retry', reason: 'HTTP 429 slow down', retryAfterMs: 2000 } },
    { name: '503 is retried', status: 503, body: '<html>', want: { kind: 'retry', reason: 'HTTP 503' } },
    { name: 'a redirect is not followed and not dropped', status: 301, body: '', want: { kind: 'retry', reason: 'HTTP 301: redirects are not followed; check the server URL' } },
  ])('$name', ({ status, body, retryAfter, want }) => {
    expect(classifyResponse(status, body, retryAfter)).toEqual(want);
  });
});

describe('routeUrl', () => {
  test('keeps a path prefix of the server URL', () => {
    expect(routeUrl('http://h:1/yolo', '/api/x').href).toBe('http://h:1/yolo/api/x');
    expect(routeUrl('http://h:1/', '/api/x').href).toBe('http://h:1/api/x');
  });
});
