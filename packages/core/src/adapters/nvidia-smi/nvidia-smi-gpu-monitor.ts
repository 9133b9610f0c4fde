import { execa } from 'execa';
import type { GpuMonitor, GpuSnapshot } from '../../gpu/gpu-monitor.port.js';
import { NVIDIA_SMI_FIELDS, parseNvidiaSmiCsv } from '../../gpu/parse-nvidia-smi.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import { signalGroup } from '../execa/process-group.js';

export interface NvidiaSmiGpuMonitorOptions {
  /** The program (default `nvidia-smi`, looked up on PATH). */
  nvidiaSmi?: string;
  /** Longest a run may take (default 5 s); it is then killed and the reading has no GPU. */
  timeoutMs?: number;
  /** How long a reading is reused after its run ends (default 1 s); callers during a run share it. */
  cacheMs?: number;
  /** Environment of the run (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Dates the readings (default the system clock). */
  clock?: Clock;
}

const lastLine = (text: string) => text.trim().split('\n').pop()?.trim() ?? '';

async function runNvidiaSmi(program: string, options: Required<Pick<NvidiaSmiGpuMonitorOptions, 'timeoutMs'>> & NvidiaSmiGpuMonitorOptions, now: () => string): Promise<GpuSnapshot> {
  const args = [`--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
  // Its own process group, killed whole at the deadline: a wrapper's children cannot hold the pipes open.
  const child = execa(program, args, {
    reject: false, stdin: 'ignore', detached: true, maxBuffer: 1_000_000, windowsHide: true,
    ...(options.env ? { env: options.env, extendEnv: false } : {}),
  });
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    if (child.pid === undefined) return;
    try {
      signalGroup(child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, options.timeoutMs);
  const result = await child.finally(() => clearTimeout(deadline));
  const none = (reason: string, source: GpuSnapshot['source'] = null): GpuSnapshot => ({ gpus: [], source, unavailable_reason: reason, sampled_at: now() });
  const output = `${String(result.stdout ?? '')}\n${String(result.stderr ?? '')}`;
  if (result.code === 'ENOENT') return none(`${program} was not found${program.includes('/') ? '' : ' on PATH'} (no NVIDIA driver on this machine?)`);
  if (timedOut) return none(`${program} did not answer within ${options.timeoutMs / 1000} s`);
  if (/No devices were found/i.test(output)) return none(`${program} found no GPU ("No devices were found")`, 'nvidia-smi');
  if (result.exitCode !== 0) {
    const why = lastLine(output) || result.code || result.signal || result.shortMessage || 'no output';
    return none(result.exitCode === undefined ? `${program} could not run: ${why}` : `${program} exited with code ${result.exitCode}: ${why}`);
  }
  try {
    const gpus = parseNvidiaSmiCsv(String(result.stdout ?? ''));
    return gpus.length === 0 ? none(`${program} listed no GPU`, 'nvidia-smi') : { gpus, source: 'nvidia-smi', sampled_at: now() };
  } catch (error) {
    return none(`could not read ${program}'s output: ${(error as Error).message}`);
  }
}

/**
 * GPUs from `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` (argv, no shell, async, killed
 * after `timeoutMs`), a reading reused for `cacheMs` and shared by callers while it runs. No
 * nvidia-smi, a failure, a timeout or "No devices were found" give a reading without GPUs and its reason.
 * @example const gpus = await createNvidiaSmiGpuMonitor().read();
 */
export function createNvidiaSmiGpuMonitor(options: NvidiaSmiGpuMonitorOptions = {}): GpuMonitor {
  const program = options.nvidiaSmi ?? 'nvidia-smi';
  const clock = options.clock ?? systemClock;
  const cacheMs = options.cacheMs ?? 1000;
  const settings = { ...options, timeoutMs: options.timeoutMs ?? 5000 };
  let cached: { reading: Promise<GpuSnapshot>; expiresAt: number } | undefined;
  return {
    read() {
      // Cache ages run on the monotonic clock (an injected fixed Clock only dates the readings).
      if (cached && performance.now() < cached.expiresAt) return cached.reading;
      // Until the run ends the entry never expires: callers meanwhile share it; then it lives `cacheMs`.
      const reading = runNvidiaSmi(program, settings, () => clock.now().toISOString())
        .catch((error: unknown): GpuSnapshot => ({ gpus: [], source: null, unavailable_reason: `${program} could not run: ${(error as Error).message}`, sampled_at: clock.now().toISOString() }))
        .finally(() => {
          if (cached?.reading === reading) cached.expiresAt = performance.now() + cacheMs;
        });
      cached = { reading, expiresAt: Number.POSITIVE_INFINITY };
      return reading;
    },
  };
}
