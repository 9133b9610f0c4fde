import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa, parseCommandString } from 'execa';
import type { AgentHttp } from './http.js';

/** Options of {@link handOverWeights}. */
export interface HandOverOptions {
  runDir: string;
  taskId: string;
  /** Sent as `?attempt=N`, so a server that moved the job on to a newer attempt ignores these weights (fencing). */
  attempt?: number;
  http: AgentHttp;
  /** Post-train export command; `{weights}` is replaced by best.pt. Undefined = `yolo export model={weights} format=onnx`. */
  exportCmd?: string;
  noExport: boolean;
  log(line: string): void;
  /** Upload tries on retryable failures (default 3). */
  tries?: number;
}

const DEFAULT_EXPORT = 'yolo export model={weights} format=onnx';

/** Runs the export command for `bestPt` (bounded to 15 minutes); a missing program is logged and skipped. */
async function runExport(command: string, bestPt: string, log: (line: string) => void): Promise<void> {
  const [program, ...args] = parseCommandString(command).map((arg) => arg.replaceAll('{weights}', bestPt));
  if (!program) return;
  log(`yoloops-agent: exporting ${bestPt}: ${[program, ...args].join(' ')}`);
  const result = await execa(program, args, { stdout: ['inherit'], stderr: ['inherit'], stdin: 'ignore', reject: false, timeout: 15 * 60_000 });
  if (result.code === 'ENOENT') log(`yoloops-agent: "${program}" not found; skipping the export`);
  else if (result.failed) log(`yoloops-agent: export failed (${result.shortMessage}); uploading what the run produced`);
}

/**
 * The weights to hand over, both when there are both: `best.onnx` (what inference loads) and `best.pt`
 * (what Ultralytics fine-tunes and extends from; it cannot train from ONNX).
 */
export function bestWeights(runDir: string): string[] {
  return ['best.onnx', 'best.pt'].map((name) => path.join(runDir, 'weights', name)).filter((file) => existsSync(file));
}

/**
 * Hands a finished run's best weights to the server's model registry: runs the post-train export when
 * there is a best.pt and no best.onnx yet (unless disabled), then POSTs best.onnx and best.pt in one
 * request (repeated multipart field `file`) to `/api/agent/tasks/{taskId}/weights`, so the registered
 * model can both run inference and be fine-tuned. Failures are logged, never thrown: the run's outcome
 * does not depend on them (a 404 means the server has no such route yet).
 */
export async function handOverWeights(options: HandOverOptions): Promise<void> {
  const bestPt = path.join(options.runDir, 'weights', 'best.pt');
  const onnx = path.join(options.runDir, 'weights', 'best.onnx');
  if (!options.noExport && existsSync(bestPt) && !existsSync(onnx)) await runExport(options.exportCmd ?? DEFAULT_EXPORT, bestPt, options.log);
  const files = bestWeights(options.runDir);
  if (files.length === 0) return options.log(`yoloops-agent: no weights/best.onnx or best.pt in ${options.runDir}; nothing to register`);
  const file = files.join(' and ');
  const route = `/api/agent/tasks/${encodeURIComponent(options.taskId)}/weights${options.attempt === undefined ? '' : `?attempt=${options.attempt}`}`;
  const tries = options.tries ?? 3;
  for (let attempt = 1; attempt <= tries; attempt++) {
    const outcome = await options.http.uploadFiles(route, files);
    if (outcome.kind === 'acked') return options.log(`yoloops-agent: uploaded ${file} to the model registry`);
    if (outcome.kind === 'rejected' && outcome.status === 404) {
      return options.log(`yoloops-agent: the server has no weights route yet (404 on ${route}); weights stay at ${file}`);
    }
    if (outcome.kind === 'rejected') return options.log(`yoloops-agent: the server refused ${file} (HTTP ${outcome.status}: ${outcome.message})`);
    options.log(`yoloops-agent: uploading ${file} failed (${outcome.reason})${attempt < tries ? '; retrying' : '; giving up'}`);
    if (attempt < tries) await new Promise((resolve) => setTimeout(resolve, Math.min(outcome.retryAfterMs ?? 1000 * attempt, 10_000)));
  }
}
