import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { cgroupCpuLimit, cpuBudget, parseCfsQuota, parseCpuMax } from './cpu-budget.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-cgroup-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `files` (path → content) under the fake cgroup root and the membership file; returns the paths. */
function cgroups(membership: string, files: Record<string, string>) {
  const root = path.join(dir, 'sys/fs/cgroup');
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), `${content}\n`);
  }
  mkdirSync(root, { recursive: true });
  const proc = path.join(dir, 'cgroup');
  writeFileSync(proc, membership);
  return { root, membership: proc };
}

describe('parsing the kernel files', () => {
  test.each([
    ['200000 100000', 2],
    ['150000 100000', 1.5],
    ['50000 100000', 0.5],
    ['max 100000', undefined],
    ['max', undefined],
    ['', undefined],
    ['garbage', undefined],
    ['0 100000', undefined],
  ])('cpu.max %j → %j CPUs', (text, want) => expect(parseCpuMax(text)).toBe(want));

  test('cgroup v1: -1 is no quota; quota ÷ period otherwise', () => {
    expect(parseCfsQuota('-1', '100000')).toBeUndefined();
    expect(parseCfsQuota('400000', '100000')).toBe(4);
    expect(parseCfsQuota('25000', '50000')).toBe(0.5);
    expect(parseCfsQuota(undefined, undefined)).toBeUndefined();
  });
});

describe('cgroupCpuLimit and cpuBudget', () => {
  test('cgroup v2 in a container (its cgroup is the root): `--cpus 2` gives 2 threads however many cores the host has', () => {
    const paths = cgroups('0::/\n', { 'cpu.max': '200000 100000' });
    expect(cgroupCpuLimit(paths)).toBe(2);
    expect(cpuBudget(paths)).toBe(Math.min(2, availableParallelism()));
  });

  test('cgroup v2 on a host: the tightest limit from the process\'s cgroup up to the root counts', () => {
    const paths = cgroups('0::/system.slice/yoloops.service\n', {
      'system.slice/cpu.max': '100000 100000',
      'system.slice/yoloops.service/cpu.max': 'max 100000',
    });
    expect(cgroupCpuLimit(paths)).toBe(1);
    expect(cpuBudget(paths)).toBe(1);
  });

  test('cgroup v1 (cpu,cpuacct controller): the CFS quota counts; a fraction rounds down, to at least 1', () => {
    const paths = cgroups('12:memory:/\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/\n', {
      'cpu,cpuacct/cpu.cfs_quota_us': '-1',
      'cpu,cpuacct/cpu.cfs_period_us': '100000',
      'cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '150000',
      'cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000',
    });
    expect(cgroupCpuLimit(paths)).toBe(1.5);
    expect(cpuBudget(paths)).toBe(1);
  });

  test('no limit anywhere (or no cgroup files at all): the CPUs the process may use', () => {
    const open = cgroups('0::/\n', { 'cpu.max': 'max 100000' });
    expect(cgroupCpuLimit(open)).toBeUndefined();
    expect(cpuBudget(open)).toBe(availableParallelism());
    const none = { root: path.join(dir, 'nowhere'), membership: path.join(dir, 'missing') };
    expect(cpuBudget(none)).toBe(availableParallelism());
  });

  test('a limit larger than the machine does not raise the budget', () => {
    const paths = cgroups('0::/\n', { 'cpu.max': `${(availableParallelism() + 8) * 100000} 100000` });
    expect(cpuBudget(paths)).toBe(availableParallelism());
  });
});
