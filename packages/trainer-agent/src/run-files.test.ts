import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseUploads } from '../test/support/multipart.js';
import { waitFor } from '../test/support/wait-for.js';
import { createAgentHttp, type AgentHttp } from './http.js';
import { startRunFileUploads, type RunFileUploadOptions } from './run-files.js';

/** One PUT the fake server received on the run-files route: the query and every `file` part. */
interface Received {
  method: string;
  task: string;
  attempt: string | null;
  dir: string | null;
  fields: string[];
  files: Record<string, string>;
}

/** How the fake answers the next run-files request (default: stored). */
type Answer = 'stored' | 'stale' | 503 | 413;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('run file uploads', () => {
  let runDir: string;
  let server: Server;
  let http: AgentHttp;
  let received: Received[];
  let answers: Answer[];
  let lines: string[];

  beforeEach(async () => {
    runDir = mkdtempSync(path.join(tmpdir(), 'run-files-'));
    received = [];
    answers = [];
    lines = [];
    // A real HTTP server at the network edge, parsing the multipart body as the real server does (busboy).
    server = createServer((req, res) => void readBody(req).then(async (raw) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const match = /^\/api\/agent\/tasks\/([^/]+)\/run-files$/.exec(url.pathname);
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (!match) return reply(404, { success: false, code: 404, msg: 'Not Found', data: '' });
      const parts = await parseUploads(req.headers['content-type'] ?? '', raw);
      received.push({
        method: req.method ?? '', task: decodeURIComponent(match[1] ?? ''), attempt: url.searchParams.get('attempt'), dir: url.searchParams.get('dir'),
        fields: parts.map((part) => part.field), files: Object.fromEntries(parts.map((part) => [part.filename, part.bytes.toString()])),
      });
      const answer = answers.shift() ?? 'stored';
      if (answer === 'stale') return reply(200, { success: true, code: 200, msg: 'ignored: attempt 1 is not the current attempt', data: { stored: false } });
      if (typeof answer === 'number') return reply(answer, { success: false, code: answer, msg: `injected ${answer}`, data: '' });
      reply(200, { success: true, code: 200, msg: 'ok', data: { stored: true, files: parts.length, size: raw.length } });
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    http = createAgentHttp({ serverUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  afterEach(async () => {
    await http.close();
    await new Promise((resolve) => server.close(resolve));
    rmSync(runDir, { recursive: true, force: true });
  });

  const start = (options: Partial<RunFileUploadOptions> = {}) =>
    startRunFileUploads({ taskId: 'job 1', attempt: 3, http, runDir, log: (line) => lines.push(line), pollMs: 20, settleMs: 150, intervalMs: 0, ...options });
  const write = (relative: string, text: string) => {
    mkdirSync(path.dirname(path.join(runDir, relative)), { recursive: true });
    writeFileSync(path.join(runDir, relative), text);
  };
  /** A complete checkpoint folder as HF Trainer leaves it. */
  const checkpoint = (step: number) => {
    for (const name of ['adapter_model.safetensors', 'optimizer.pt', 'trainer_state.json']) write(`checkpoint-${step}/${name}`, `${name}@${step}`);
  };
  const dirs = () => received.map((r) => r.dir);

  test('a checkpoint written in steps is sent once, complete, after it settles; a newer one follows; one without trainer_state.json is not sent', async () => {
    const uploads = start();
    write('checkpoint-10/adapter_model.safetensors', 'adapter@10');
    await sleep(60);
    write('checkpoint-10/optimizer.pt', 'optimizer@10');
    mkdirSync(path.join(runDir, 'checkpoint-10', 'global_step10'));
    write('checkpoint-10/global_step10/shard.pt', 'deepspeed shard');
    symlinkSync(path.join(runDir, 'checkpoint-10', 'optimizer.pt'), path.join(runDir, 'checkpoint-10', 'link.pt'));
    await sleep(60);
    expect(received).toEqual([]);
    write('checkpoint-10/trainer_state.json', '{"global_step":10}');
    // Written just after trainer_state.json: the settle time waits for it.
    await sleep(60);
    write('checkpoint-10/rng_state.pth', 'rng@10');
    await waitFor('checkpoint-10 sent', () => received.length === 1);
    expect(received[0]).toEqual({
      method: 'PUT', task: 'job 1', attempt: '3', dir: 'checkpoint-10', fields: ['file', 'file', 'file', 'file'],
      files: { 'adapter_model.safetensors': 'adapter@10', 'optimizer.pt': 'optimizer@10', 'rng_state.pth': 'rng@10', 'trainer_state.json': '{"global_step":10}' },
    });
    write('checkpoint-20/adapter_model.safetensors', 'adapter@20');
    await sleep(400);
    expect(dirs()).toEqual(['checkpoint-10']);
    write('checkpoint-20/trainer_state.json', '{"global_step":20}');
    await waitFor('checkpoint-20 sent', () => received.length === 2);
    expect(received[1]?.files).toEqual({ 'adapter_model.safetensors': 'adapter@20', 'trainer_state.json': '{"global_step":20}' });
    await uploads.finish(false);
    expect(dirs()).toEqual(['checkpoint-10', 'checkpoint-20']);
    expect(lines).toContain('yoloops-agent: uploaded checkpoint-20 (2 files, 28 B) to the server');
  });

  test('mid-run uploads keep the interval; finish(true) sends the newest checkpoint not yet sent, then the top-level outputs', async () => {
    const uploads = start({ intervalMs: 60_000 });
    checkpoint(100);
    await waitFor('checkpoint-100 sent', () => received.length === 1);
    checkpoint(200);
    await sleep(400);
    expect(dirs()).toEqual(['checkpoint-100']);
    for (const name of ['adapter_model.safetensors', 'adapter_config.json', 'all_results.json', 'trainer_log.jsonl']) write(name, `final ${name}`);
    write('.hidden', 'not sent');
    write('runs/events.out', 'a folder: not sent');
    symlinkSync(path.join(runDir, 'all_results.json'), path.join(runDir, 'link.json'));
    await uploads.finish(true);
    expect(dirs()).toEqual(['checkpoint-100', 'checkpoint-200', '']);
    expect(received[1]?.files).toEqual({ 'adapter_model.safetensors': 'adapter_model.safetensors@200', 'optimizer.pt': 'optimizer.pt@200', 'trainer_state.json': 'trainer_state.json@200' });
    expect(Object.keys(received[2]?.files ?? {})).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'all_results.json', 'trainer_log.jsonl']);
    expect(received[2]?.files['all_results.json']).toBe('final all_results.json');
    expect(lines.some((line) => /^yoloops-agent: uploaded the run's outputs \(4 files, \d+ B\) to the server$/.test(line))).toBe(true);
  });

  test('finish(false) sends only the newest complete checkpoint (a resume elsewhere starts from it), none twice', async () => {
    const uploads = start({ pollMs: 60_000 });
    checkpoint(5);
    write('checkpoint-6/adapter_model.safetensors', 'cut off by the stop');
    write('adapter_model.safetensors', 'not a final output: the run stopped');
    await uploads.finish(false);
    expect(dirs()).toEqual(['checkpoint-5']);
    expect(received[0]?.files).toEqual({ 'adapter_model.safetensors': 'adapter_model.safetensors@5', 'optimizer.pt': 'optimizer.pt@5', 'trainer_state.json': 'trainer_state.json@5' });
  });

  test('the checkpoint a resume starts from (there before the start) is not sent back; newer ones are', async () => {
    checkpoint(3);
    checkpoint(5);
    const uploads = start();
    await sleep(300);
    expect(received).toEqual([]);
    checkpoint(8);
    await waitFor('checkpoint-8 sent', () => received.length === 1);
    await uploads.finish(false);
    expect(dirs()).toEqual(['checkpoint-8']);
    expect(lines).toContain(`yoloops-agent: checkpoint-5 was in ${runDir} before the trainer started (a resume's); not sending it back`);
    // The next attempt on this folder finds checkpoint-8 already there: only the outputs go.
    write('all_results.json', '{}');
    await start({ pollMs: 60_000 }).finish(true);
    expect(dirs()).toEqual(['checkpoint-8', '']);
  });

  test('a 503 is retried; a 4xx is logged and that checkpoint is not sent again', async () => {
    answers.push(503);
    const uploads = start();
    checkpoint(1);
    await waitFor('checkpoint-1 sent again after the 503', () => received.length === 2, 5000);
    expect(dirs()).toEqual(['checkpoint-1', 'checkpoint-1']);
    answers.push(413);
    checkpoint(2);
    await waitFor('checkpoint-2 refused', () => received.length === 3);
    await sleep(300);
    await uploads.finish(false);
    expect(dirs()).toEqual(['checkpoint-1', 'checkpoint-1', 'checkpoint-2']);
    expect(lines).toContain('yoloops-agent: the server refused checkpoint-2 (HTTP 413: injected 413); not sending it again');
  });

  test('stored:false (a stale attempt) ends every further upload of the run', async () => {
    answers.push('stale');
    const uploads = start();
    checkpoint(1);
    await waitFor('checkpoint-1 answered', () => received.length === 1);
    checkpoint(2);
    write('all_results.json', '{}');
    await sleep(400);
    await uploads.finish(true);
    expect(dirs()).toEqual(['checkpoint-1']);
    expect(lines.filter((line) => line.includes('no more run files are sent'))).toHaveLength(1);
  });
});
