import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { describeMissingProgram } from '@yoloops/core';
import { STATUS_PATH, STATUS_TYPES } from './events.js';
import { decideOutcome, runTrainer } from './run-trainer.js';

describe('decideOutcome', () => {
  test.each([
    { name: 'exit 0 → completed', result: { exitCode: 0 }, stop: undefined, want: { status: 'completed', exitCode: 0 } },
    { name: 'a forwarded stop wins over exit 0', result: { exitCode: 0 }, stop: 'SIGTERM', want: { status: 'stopped', message: 'Training stopped by request (SIGTERM)', exitCode: 0 } },
    { name: 'stopped child killed by the signal exits 143', result: { signal: 'SIGTERM' }, stop: 'SIGTERM', want: { status: 'stopped', message: 'Training stopped by request (SIGTERM)', exitCode: 143 } },
    { name: 'non-zero → failed with the stderr tail', result: { exitCode: 2 }, stop: undefined, want: { status: 'failed', message: 'trainer exited with code 2\nboom', exitCode: 2 } },
    { name: 'killed by someone else → failed', result: { signal: 'SIGKILL' }, stop: undefined, want: { status: 'failed', message: 'trainer killed by SIGKILL\nboom', exitCode: 137 } },
    { name: 'missing program → failed, 127', result: { code: 'ENOENT' }, stop: undefined, want: { status: 'failed', message: `${describeMissingProgram('yolo', 'ENOENT')}\nboom`, exitCode: 127 } },
  ])('$name', ({ result, stop, want }) => {
    expect(decideOutcome(result as never, stop, 'boom', 'yolo')).toEqual(want);
  });

  test('a missing trainer says what to install or configure', () => {
    expect(decideOutcome({ code: 'ENOENT' } as never, undefined, '', 'yolo').message).toMatch(/^could not start "yolo" \(ENOENT\): install Ultralytics.*YOLOOPS_TRAINER_COMMAND/);
  });

  test('the failure message keeps the end of a long stderr tail within 500 characters', () => {
    const outcome = decideOutcome({ exitCode: 1 } as never, undefined, `${'x'.repeat(2000)}THE END`, 'yolo');
    expect(outcome.message).toHaveLength(500);
    expect(outcome.message?.startsWith('trainer exited with code 1\n')).toBe(true);
    expect(outcome.message?.endsWith('THE END')).toBe(true);
  });
});

/** A fine-tune that writes one checkpoint folder, then its final outputs, and exits 0. */
const FINE_TUNE = `
import { mkdirSync, writeFileSync } from 'node:fs';
mkdirSync('run/checkpoint-2', { recursive: true });
writeFileSync('run/checkpoint-2/adapter_model.safetensors', 'adapter@2');
writeFileSync('run/checkpoint-2/trainer_state.json', JSON.stringify({ global_step: 2, log_history: [] }));
writeFileSync('run/trainer_log.jsonl', JSON.stringify({ current_steps: 2, total_steps: 2, loss: 1.5 }) + '\\n');
writeFileSync('run/adapter_model.safetensors', 'final adapter');
writeFileSync('run/all_results.json', JSON.stringify({ train_loss: 1.5 }));
`;

describe('runTrainer --run-files', () => {
  test('the last checkpoint and the outputs reach the server before the completed status is posted', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'run-files-trainer-'));
    writeFileSync(path.join(cwd, 'trainer.mjs'), FINE_TUNE);
    const seen: string[] = [];
    // The network edge: a real server answering every route, recording what came in which order.
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname.endsWith('/run-files')) seen.push(`${req.method} run-files dir=${url.searchParams.get('dir')}`);
        if (url.pathname === STATUS_PATH) seen.push(`status ${(JSON.parse(Buffer.concat(chunks).toString()) as { statusType: number }).statusType}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, code: 200, msg: 'ok', data: { stored: true } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let stderr = '';
    const io = { cwd, stderr: new Writable({ write: (chunk: Buffer, _encoding, done) => ((stderr += chunk.toString()), done()) }) };
    try {
      const code = await runTrainer({
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, task: 'job', runDir: 'run', attempt: 1, noExport: true, flushTimeoutMs: 10_000,
        shipLogs: false, checkpoints: false, runFiles: true, command: [process.execPath, 'trainer.mjs'],
      }, io);
      expect(code).toBe(0);
      expect(seen).toEqual([`status ${STATUS_TYPES.running}`, 'PUT run-files dir=checkpoint-2', 'PUT run-files dir=', `status ${STATUS_TYPES.completed}`]);
      expect(stderr).toContain('yoloops-agent: uploaded checkpoint-2 (2 files,');
      expect(stderr).toMatch(/yoloops-agent: uploaded the run's outputs \(3 files, \d+ B\) to the server/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
