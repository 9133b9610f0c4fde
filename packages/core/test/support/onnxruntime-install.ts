import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Whether this onnxruntime-node install carries the CUDA execution provider (installed with
 * `ONNXRUNTIME_NODE_INSTALL=cuda12`); the default install, ours and CI's, has the CPU provider only.
 */
export function hasCudaProvider(): boolean {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  const bin = path.join(path.dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(path.join(bin, 'libonnxruntime_providers_cuda.so'));
}
