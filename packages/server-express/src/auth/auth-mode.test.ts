import { describe, expect, test } from 'vitest';
import { authOffWarning, isLoopbackHost, resolveAuthMode } from './auth-mode.js';

describe('resolveAuthMode', () => {
  test.each([
    ['127.0.0.1', undefined, 'off'], ['127.8.9.10', undefined, 'off'], ['localhost', undefined, 'off'], ['::1', undefined, 'off'], ['[::1]', undefined, 'off'],
    ['::ffff:127.0.0.1', undefined, 'off'], ['0:0:0:0:0:0:0:1', undefined, 'off'],
    ['0.0.0.0', undefined, 'required'], ['::', undefined, 'required'], ['192.168.1.5', undefined, 'required'], ['128.0.0.1', undefined, 'required'],
    ['example.com', undefined, 'required'], ['localhost.evil.com', undefined, 'required'],
    ['0.0.0.0', 'off', 'off'], ['127.0.0.1', 'required', 'required'],
  ] as const)('%s with %s → %s', (host, mode, want) => {
    expect(resolveAuthMode(host, mode)).toBe(want);
  });

  test('warns only when auth is off beyond loopback', () => {
    expect(authOffWarning('0.0.0.0', 'off')).toMatch(/YOLOOPS_AUTH=off while listening on 0\.0\.0\.0/);
    expect(authOffWarning('127.0.0.1', 'off')).toBeUndefined();
    expect(authOffWarning('0.0.0.0', 'required')).toBeUndefined();
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false);
  });
});
