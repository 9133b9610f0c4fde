import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../../test/support/fixtures.js';
import { freePort, waitFor } from '../../../test/support/server-process.js';
import { ServeEnvSchema } from '../src/config.js';

const CLI = path.join(REPO_ROOT, 'packages/server-express/src/cli.ts');
const TSX = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const ARGS = ['--conditions=source', '--import', TSX, CLI];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'yoloops-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the CLI to its end (for the cases that must not start a server). */
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...ARGS, ...args], { env: { ...process.env, YOLOOPS_DATA_DIR: dir, PORT: '0', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('yoloops serve (the npm start command)', () => {
  test('without a command it lists the commands and exits 2; --help lists them and exits 0', async () => {
    const none = await runCli([], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^no command given\nusage: yoloops <command>/);
    expect(none.stderr).toMatch(/^ {2}serve +/m);
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}serve +serve the API/m);
    expect((await runCli(['srve'], {})).stderr).toMatch(/^unknown command "srve"/);
  });

  test.each([['--help'], ['-h']])('serve %s prints every setting of the schema and exits 0 without starting', async (flag) => {
    const { code, stdout } = await runCli(['serve', flag], { PORT: 'not a port' });
    expect(code).toBe(0);
    const listed = [...stdout.matchAll(/^ {2}([A-Z][A-Z0-9_]*)\b/gm)].map((m) => m[1]);
    expect(listed).toEqual(Object.keys(ServeEnvSchema.shape));
    expect(stdout).not.toContain('yoloops listening');
  });

  test.each([
    [{ YOLOOPS_INFERENCE_PARALLEL_RUNS: '-1' }, 'YOLOOPS_INFERENCE_PARALLEL_RUNS must be a non-negative integer, got "-1"'],
    [{ YOLOOPS_INFERENCE_THREADS: '0' }, 'YOLOOPS_INFERENCE_THREADS must be a positive integer, got "0"'],
    [{ YOLOOPS_INFERENCE_THREADS: '1.5' }, 'YOLOOPS_INFERENCE_THREADS must be a positive integer, got "1.5"'],
    [{ YOLOOPS_IMAGE_CHECK: 'full' }, 'YOLOOPS_IMAGE_CHECK must be "structure" or "decode", got "full"'],
    [{ YOLOOPS_INFERENCE_PROVIDERS: 'cuda,../x' }, 'YOLOOPS_INFERENCE_PROVIDERS must list onnxruntime execution providers (e.g. cuda), got "../x"'],
    [{ YOLOOPS_PUBLIC_URL: 'gateway:8000' }, 'YOLOOPS_PUBLIC_URL must be an http(s) URL, got "gateway:8000"'],
    [{ YOLOOPS_TRAINER_COMMAND: '["yolo", 1]' }, 'YOLOOPS_TRAINER_COMMAND must be a command line or a JSON array of strings with the program first, got: ["yolo", 1]'],
    [{ YOLOOPS_TRAINER_COMMAND: 'python3 train.py data={dataset}' }, 'YOLOOPS_TRAINER_COMMAND uses an unknown placeholder {dataset} (known: {data} {model} {epochs} {imgsz} {batch} {project} {name} {job_id} {run_dir} {server} {config})'],
    [{ YOLOOPS_AUTH: 'maybe' }, 'YOLOOPS_AUTH must be "required" or "off", got "maybe"'],
    [{ YOLOOPS_RATE_LIMIT_TRAIN: '10/day' }, 'YOLOOPS_RATE_LIMIT_TRAIN must be N/second, N/minute or N/hour with N ≥ 1 (e.g. 10/hour), or off; got "10/day"'],
    [{ YOLOOPS_CORS_ORIGINS: 'https://app.example.org/ui' }, 'YOLOOPS_CORS_ORIGINS must list origins without path, query or credentials (scheme://host[:port]), got "https://app.example.org/ui"'],
    [{ YOLOOPS_TRUST_PROXY: '-1' }, 'YOLOOPS_TRUST_PROXY must be a non-negative integer, got "-1"'],
    [{ PORT: '70000' }, 'PORT must be a port number from 0 to 65535 (0: any free port), got "70000"'],
    [{ YOLOOPS_TRAINING_CONCURRENCY: 'two' }, 'YOLOOPS_TRAINING_CONCURRENCY must be a positive integer, got "two"'],
  ])('a bad setting (%j) stops it with a message naming the setting', async (env, message) => {
    const { code, stderr } = await runCli(['serve'], env);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(message);
  });

  test('an unknown flag stops it naming the flag', async () => {
    const { code, stderr } = await runCli(['serve', '--prot', '8080'], {});
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('Unknown option \'--prot\' (see yoloops serve --help)');
  });

  test('serves with the inference settings given, warns of a misspelt one, and a SIGTERM ends it cleanly', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [...ARGS, 'serve'], {
      env: { ...process.env, YOLOOPS_DATA_DIR: dir, PORT: String(port), YOLOOPS_INFERENCE_THREADS: '1', YOLOOPS_INFERENCE_PARALLEL_RUNS: '0', YOLOOPS_INFERENCE_PROVIDERS: 'cpu', YOLOOPS_INFERENCE_THREAD: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the listening line', () => output, (text) => text.includes('yoloops listening on'), 30_000);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(output).toContain('warning: YOLOOPS_INFERENCE_THREAD is not a setting of yoloops serve and is ignored; did you mean YOLOOPS_INFERENCE_THREADS?');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
