import { ValidationError } from '../errors.js';
import type { GpuDevice } from './gpu-monitor.port.js';

/** The `--query-gpu` fields `parseNvidiaSmiCsv` reads, in this order. */
export const NVIDIA_SMI_FIELDS = [
  'index', 'name', 'uuid', 'memory.total', 'memory.used', 'utilization.gpu', 'temperature.gpu', 'power.draw', 'power.limit',
] as const;

/** `nvidia-smi` writes `[N/A]`, `[Not Supported]`, `[Unknown Error]`… (bracketed) or `N/A` where it has no value. */
const MISSING = /^(\[.*\]|N\/A)$/i;

function numberOrNull(raw: string, field: string, line: number): number | null {
  if (raw === '' || MISSING.test(raw)) return null;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ValidationError(`nvidia-smi line ${line}: ${field} is "${raw}", not a number`, { reason: 'invalid_nvidia_smi_output' });
  return value;
}

/**
 * Parses `nvidia-smi --query-gpu=<NVIDIA_SMI_FIELDS> --format=csv,noheader,nounits` output: one GPU a
 * line, MiB, %, °C and W; missing values become null. A name holding commas keeps them (the fields
 * around it are fixed). Throws `ValidationError` naming the line when one cannot be read.
 * @see https://docs.nvidia.com/deploy/nvidia-smi/index.html
 * @example parseNvidiaSmiCsv('0, NVIDIA A100-SXM4-80GB, GPU-1c2d…, 81920, 3, 0, 31, 62.10, 400.00\n')
 */
export function parseNvidiaSmiCsv(text: string): GpuDevice[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  return lines.map((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < NVIDIA_SMI_FIELDS.length) {
      throw new ValidationError(`nvidia-smi line ${i + 1} has ${cells.length} fields, expected ${NVIDIA_SMI_FIELDS.length}: "${line}"`, { reason: 'invalid_nvidia_smi_output' });
    }
    const extra = cells.length - NVIDIA_SMI_FIELDS.length;
    const [indexRaw = ''] = cells;
    const name = cells.slice(1, 2 + extra).join(', ');
    const [uuid = '', total = '', used = '', util = '', temp = '', draw = '', limit = ''] = cells.slice(2 + extra);
    const index = numberOrNull(indexRaw, 'index', i + 1);
    if (index === null || !Number.isInteger(index) || index < 0) {
      throw new ValidationError(`nvidia-smi line ${i + 1}: index is "${indexRaw}", not a GPU index`, { reason: 'invalid_nvidia_smi_output' });
    }
    return {
      index,
      name,
      uuid: uuid === '' || MISSING.test(uuid) ? null : uuid,
      memory_total_mb: numberOrNull(total, 'memory.total', i + 1),
      memory_used_mb: numberOrNull(used, 'memory.used', i + 1),
      utilization_percent: numberOrNull(util, 'utilization.gpu', i + 1),
      temperature_c: numberOrNull(temp, 'temperature.gpu', i + 1),
      power_draw_watts: numberOrNull(draw, 'power.draw', i + 1),
      power_limit_watts: numberOrNull(limit, 'power.limit', i + 1),
    };
  });
}
