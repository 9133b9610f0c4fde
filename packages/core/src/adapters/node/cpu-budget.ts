import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

/** Where the Linux cgroup files are (tests point these at a directory of their own). */
export interface CgroupPaths {
  /** The cgroup filesystem (default `/sys/fs/cgroup`). */
  root?: string;
  /** This process's cgroup membership (default `/proc/self/cgroup`). */
  membership?: string;
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** CPUs a cgroup v2 `cpu.max` allows (`"200000 100000"` → 2), or undefined for `max` or nonsense. */
export function parseCpuMax(text: string | undefined): number | undefined {
  const [quota, period = '100000'] = (text ?? '').split(/\s+/);
  return cpus(Number(quota), Number(period));
}

/** CPUs a cgroup v1 CFS quota allows (`-1` means none). */
export function parseCfsQuota(quota: string | undefined, period: string | undefined): number | undefined {
  return cpus(Number(quota), Number(period ?? '100000'));
}

function cpus(quota: number, period: number): number | undefined {
  return Number.isFinite(quota) && Number.isFinite(period) && quota > 0 && period > 0 ? quota / period : undefined;
}

/** The folders from `dir` up to `top`, deepest first (a limit anywhere above a cgroup applies to it too). */
function upwards(top: string, dir: string): string[] {
  const out: string[] = [];
  for (let d = path.join(top, dir); d.startsWith(top); d = path.dirname(d)) {
    out.push(d);
    if (d === top) break;
  }
  return out;
}

/** The tightest CPU limit on this process's cgroup (v2, or v1's `cpu` controller), in CPUs. */
export function cgroupCpuLimit(paths: CgroupPaths = {}): number | undefined {
  const root = paths.root ?? '/sys/fs/cgroup';
  const limits: number[] = [];
  for (const line of (read(paths.membership ?? '/proc/self/cgroup') ?? '').split('\n')) {
    const [, controllers = '', dir = ''] = line.split(':');
    if (line.startsWith('0::')) {
      for (const d of upwards(root, dir)) limits.push(parseCpuMax(read(path.join(d, 'cpu.max'))) ?? Infinity);
    } else if (controllers.split(',').includes('cpu')) {
      const top = path.join(root, controllers);
      const base = read(path.join(top, 'cpu.cfs_quota_us')) !== undefined ? top : path.join(root, 'cpu');
      for (const d of upwards(base, dir)) limits.push(parseCfsQuota(read(path.join(d, 'cpu.cfs_quota_us')), read(path.join(d, 'cpu.cfs_period_us'))) ?? Infinity);
    }
  }
  const tightest = Math.min(...limits);
  return Number.isFinite(tightest) ? tightest : undefined;
}

let cached: number | undefined;

/**
 * Threads worth running CPU work on: the CPUs this process may use (`os.availableParallelism()`), capped
 * by a container's CPU quota (cgroup v2 `cpu.max`, v1 CFS quota), rounded down, at least 1. A container
 * limited to 2 CPUs on a 64-core host would otherwise start 64 onnxruntime threads and be throttled.
 * @example const threads = cpuBudget(); // 2 in a `docker run --cpus 2` container on a 64-core host
 */
export function cpuBudget(paths?: CgroupPaths): number {
  if (paths === undefined && cached !== undefined) return cached;
  const limit = cgroupCpuLimit(paths);
  const budget = Math.max(1, Math.min(availableParallelism(), limit === undefined ? Infinity : Math.floor(limit)));
  if (paths === undefined) cached = budget;
  return budget;
}
