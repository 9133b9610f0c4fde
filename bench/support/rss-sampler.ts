import { readFileSync } from 'node:fs';

/** Kernel high-water mark of this process's own memory (`VmHWM` of /proc/self/status), whole lifetime; undefined off Linux. */
export function readVmHwmBytes(): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** Samples this process's RSS every `intervalMs`; `take()` returns the peak of the window since the last call. */
export function createRssSampler(intervalMs: number) {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, intervalMs);
  return {
    /** The peak since the last call; starts a new window. */
    take(): number {
      sample();
      const value = peak;
      peak = 0;
      return value;
    },
    stop: () => clearInterval(timer),
  };
}
