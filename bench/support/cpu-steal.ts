import { readFileSync } from 'node:fs';

/** Aggregate CPU time counters of the machine (Linux `/proc/stat`, in clock ticks), or undefined elsewhere. */
export interface CpuTimes {
  total: number;
  steal: number;
}

export function readCpuTimes(): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '));
    // user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user/nice)
    const fields = line?.trim().split(/\s+/).slice(1, 9).map(Number);
    if (!fields || fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7]! };
  } catch {
    return undefined;
  }
}

/**
 * Share of the machine's CPU time the hypervisor gave to others between two readings (0–1), or
 * undefined where unknown. A virtual machine whose host is busy runs every thread slower at random,
 * which skews a ratio between two things measured at different moments.
 */
export function stealShare(before: CpuTimes | undefined, after: CpuTimes | undefined): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return (after.steal - before.steal) / (after.total - before.total);
}
