import { spawn } from 'node:child_process';

export interface SpawnTimedResult {
  /** Wall time from spawn to exit. */
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, timing spawn → exit; rejects (with its stderr) on a non-zero exit. */
export function spawnTimed(command: string, args: readonly string[], options: { cwd?: string } = {}): Promise<SpawnTimedResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const ms = performance.now() - start;
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`${command} exited with ${code ?? signal}: ${stderr.trim().slice(-2000)}`));
    });
  });
}
