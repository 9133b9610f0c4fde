import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StartServerOptions } from '@yoloops/server-express';
import { REPO_ROOT } from '../../../../test/support/fixtures.js';

/** The stand-in for `llamafactory-cli train <yaml>` (writes LLaMA-Factory's trainer_log.jsonl, checkpoints, adapter). */
export const SCRIPTED_LF = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-llamafactory.mjs');
const AGENT_CLI = path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts');
// The agent runs with the job folder as cwd, so `--import tsx` names the loader by absolute URL.
const TSX_LOADER = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;

/** The real trainer-agent CLI (from source) wrapping each trainer, as `yoloops serve` runs its installed one. */
export const AGENT_COMMAND = [process.execPath, '--conditions=source', '--import', TSX_LOADER, AGENT_CLI, 'run', '--server', '{server}', '--task', '{job_id}', '--run-dir', '{run_dir}', '--'];

/** Job options of a server whose fine-tunes run the scripted LLaMA-Factory under the real agent; `stepMs` per training step. */
export function scriptedFinetuneJobs(stepMs: number, concurrency = 2): NonNullable<StartServerOptions['jobs']> {
  return {
    concurrency, stopGraceMs: 3000, interruptGraceMs: 5000, watchdogMs: 60_000, agentCommand: AGENT_COMMAND,
    env: { SCRIPTED_LF_STEP_MS: String(stepMs), YOLOOPS_AGENT_RETRY_CAP_MS: '500' },
    finetuneCommand: { train: [process.execPath, SCRIPTED_LF, 'train', '{config}'], resume: [process.execPath, SCRIPTED_LF, 'train', '{config}'] },
  };
}

/** The lines of a run's trainer_log.jsonl as the scripted trainer wrote them so far. */
export const trainerLog = (runDir: string): Array<Record<string, number>> =>
  readFileSync(path.join(runDir, 'trainer_log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);

/** The signals the scripted trainer saw, first first. */
export const signalsSeen = (runDir: string): string[] => readFileSync(path.join(runDir, 'signals-seen.txt'), 'utf8').split('\n').filter(Boolean);
