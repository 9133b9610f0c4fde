// A real yoloops server process for the fault tests: `startServer` (what `yoloops serve` runs) on
// PORT / YOLOOPS_DATA_DIR, with the scripted trainer under the real trainer-agent CLI as the trainer
// command (`yoloops serve` has no flag for that). Prints `LISTENING <url>` once it accepts requests;
// SIGTERM closes it like the CLI does. Run: node --conditions=source --import tsx test/support/scripted-server.ts
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServer } from '@yoloops/server-express';
import { REPO_ROOT } from './fixtures.js';

const SCRIPTED_TRAINER = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-trainer.mjs');
const AGENT_CLI = path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts');
// The agent runs with the job folder as cwd, so `--import tsx` must name the loader by absolute URL.
const TSX_LOADER = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const KEYS = ['data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}', 'project={project}', 'name={name}', 'exist_ok=True'];

const port = Number(process.env.PORT);
const dataDir = process.env.YOLOOPS_DATA_DIR;
if (!Number.isInteger(port) || port <= 0 || !dataDir) throw new Error('scripted-server needs PORT and YOLOOPS_DATA_DIR');

// Agents and trainers inherit this process's environment (SCRIPTED_TRAINER_EPOCH_MS, YOLOOPS_AGENT_RETRY_CAP_MS…).
const running = await startServer({
  dataDir, port, host: '127.0.0.1', rateLimits: false, // the fault tests poll every 50 ms
  jobs: {
    serverUrl: `http://127.0.0.1:${port}`,
    concurrency: 2,
    stopGraceMs: 3000,
    watchdogMs: 500,
    agentCommand: [process.execPath, '--conditions=source', '--import', TSX_LOADER, AGENT_CLI, 'run', '--server', '{server}', '--task', '{job_id}', '--run-dir', '{run_dir}', '--no-export', '--'],
    trainerCommand: {
      train: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', ...KEYS],
      resume: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', 'resume', 'model={model}'],
    },
  },
});
console.log(`LISTENING ${running.url}`);
process.once('SIGTERM', () => {
  running.close().then(() => process.exit(0), () => process.exit(1));
});
