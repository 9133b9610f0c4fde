import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, test } from 'vitest';
import { localServerIdentity } from './local-server-instance.js';

const instance = (pid: number, host = hostname()) => ({ instance_id: 'srv_x', hostname: host, pid, started_at: '', last_heartbeat: '' });

describe('localServerIdentity', () => {
  test('a server of this host whose process ended is gone; a live process, this process and another host are not judged here', () => {
    const identity = localServerIdentity();
    expect(identity).toMatchObject({ hostname: hostname(), pid: process.pid });
    const ended = spawnSync(process.execPath, ['-e', '']).pid!;
    expect(identity.isGone(instance(ended))).toBe(true);
    expect(identity.isGone(instance(process.pid))).toBe(false);
    expect(identity.isGone(instance(process.ppid))).toBe(false);
    expect(identity.isGone(instance(ended, `${hostname()}-elsewhere`))).toBe(false);
  });
});
