/** One GPU as the driver reports it; a value the driver does not give (`[N/A]`, `[Not Supported]`) is null. */
export interface GpuDevice {
  index: number;
  name: string;
  uuid: string | null;
  memory_total_mb: number | null;
  memory_used_mb: number | null;
  utilization_percent: number | null;
  temperature_c: number | null;
  power_draw_watts: number | null;
  power_limit_watts: number | null;
}

/** What one reading found: the GPUs, or none and why (`unavailable_reason`), never invented numbers. */
export interface GpuSnapshot {
  gpus: GpuDevice[];
  /** The tool that answered (`nvidia-smi`), null when none did. */
  source: 'nvidia-smi' | null;
  /** Why there are no GPUs: the tool is missing, failed, timed out or found no device. */
  unavailable_reason?: string;
  /** ISO time of the reading. */
  sampled_at: string;
}

/** Reads the machine's GPUs; never throws — a failure is a snapshot without GPUs and a reason. */
export interface GpuMonitor {
  read(): Promise<GpuSnapshot>;
}
