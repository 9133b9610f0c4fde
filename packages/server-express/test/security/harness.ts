import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, YoloopsApiError, type YoloopsClient } from '@yoloops/client';
import type { DatasetLimits } from '@yoloops/core';
import { startServer, type RunningServer } from '@yoloops/server-express';
import { expect } from 'vitest';

/** What a rejected attack must answer. */
export interface Rejection {
  status: number;
  code: string;
  /** Text (or pattern) the `detail` must contain: the entry name or the reason. */
  detail?: string | RegExp;
}

/** `path → "kind size mtime"` for every file and folder below the data root, plus the OS temp dir's top-level names. */
export interface Snapshot {
  data: Map<string, string>;
  tmp: Set<string>;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as JSON, or undefined when it is not JSON. */
  json: { detail?: unknown; code?: unknown; message?: unknown; msg?: unknown; reason?: unknown; error?: { message?: unknown; reason?: unknown; code?: unknown } | null } | undefined;
}

/** SQLite's own files: the only things a rejected request may touch in the data root. */
const DB_FILE = /^yoloops\.db(-wal|-shm|-journal)?$/;
/** Folders of the store's fixed layout, which a first write may create. */
const LAYOUT_DIRS = new Set(['uploads', 'datasets']);
/** Folders that test files (this one and concurrent ones) make with mkdtemp. */
const TEST_ROOT = /^yoloops-[a-z-]+-[A-Za-z0-9]{6}$/;
/** Temp names that something of ours (or an attack) could have made. */
const SUSPECT_TMP = /yoloops|pwn|evil|passwd|cron|staging|\.tmp-|\.trash-|\.zip$|^x$/i;
/** Bytes that must never come back: the SQLite file header and /etc/passwd's first line. */
export const SECRET_MARKERS = ['SQLite format 3', 'root:x:0:0'];

const TIMEOUT_MS = 15_000;

/** Rejects when `promise` takes longer than `ms` (a hang is a failure, not a slow pass). */
export async function within<T>(promise: Promise<T>, label: string, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function walk(dir: string, rel: string, out: Map<string, string>): void {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const key = rel ? `${rel}/${name}` : name;
    const st = lstatSync(full);
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file';
    out.set(key, kind === 'dir' ? 'dir' : `${kind} ${st.size} ${st.mtimeMs}`);
    if (kind === 'dir') walk(full, key, out);
  }
}

/** Files of `dataDir/prefix` (recursive, relative to the data root). */
export function filesUnder(dataDir: string, prefix = ''): string[] {
  const start = path.join(dataDir, prefix);
  if (!existsSync(start)) return [];
  const out = new Map<string, string>();
  walk(start, prefix, out);
  return [...out].filter(([, v]) => v !== 'dir').map(([k]) => k);
}

/** One HTTP request exactly as given: the path is sent unnormalised and unencoded. */
export function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string | number>; body?: Buffer | string },
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return within(
    new Promise<RawResponse>((resolve, reject) => {
      const req = httpRequest({ host: hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          let json: RawResponse['json'];
          try {
            json = JSON.parse(body.toString('utf8')) as RawResponse['json'];
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      });
      req.on('error', reject);
      req.end(options.body);
    }),
    `${options.method ?? 'GET'} ${options.path.slice(0, 120)}`,
  );
}

/** Asserts an answer is the expected 4xx `{detail, code}` and carries no secret bytes. */
export function expectRejection(got: { status: number; detail: unknown; code: unknown; body?: unknown }, want: Rejection): void {
  expect(got.status, `status (detail: ${String(got.detail)})`).toBe(want.status);
  expect(got.status).toBeGreaterThanOrEqual(400);
  expect(got.status).toBeLessThan(500);
  expect(got.code, `code (detail: ${String(got.detail)})`).toBe(want.code);
  expect(typeof got.detail).toBe('string');
  if (typeof want.detail === 'string') expect(got.detail).toContain(want.detail);
  else if (want.detail) expect(got.detail).toMatch(want.detail);
  const text = typeof got.body === 'string' ? got.body : JSON.stringify(got.body ?? got.detail);
  for (const marker of SECRET_MARKERS) expect(text).not.toContain(marker);
}

/** Runs a client call that must fail, and returns the API error (a hang or a success fails the test). */
export async function apiFailure(call: Promise<unknown>, label: string): Promise<YoloopsApiError> {
  const outcome = await within(call.then((value) => ({ value }), (error: unknown) => ({ error })), label);
  if (!('error' in outcome)) throw new Error(`${label} succeeded but should have been rejected: ${JSON.stringify(outcome.value).slice(0, 300)}`);
  if (!(outcome.error instanceof YoloopsApiError)) throw outcome.error;
  return outcome.error;
}

/**
 * A real server (as `test/support/server.ts` starts it) on a fresh data root, with the checks every attack
 * ends with. It also records errors that escape to the process: in production each would kill the server.
 */
export class Harness {
  /** Uncaught exceptions and unhandled rejections seen since start. */
  readonly escaped: unknown[] = [];
  private readonly record = (error: unknown): void => {
    this.escaped.push(error);
  };

  private constructor(
    readonly dataDir: string,
    private readonly server: RunningServer,
    readonly client: YoloopsClient,
  ) {
    process.on('uncaughtException', this.record);
    process.on('unhandledRejection', this.record);
  }

  /** Starts the server on a fresh mkdtemp data root and port 0; `limits` override the dataset limits. */
  static async start(options: { limits?: Partial<DatasetLimits> } = {}): Promise<Harness> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-sec-'));
    const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', limits: options.limits, rateLimits: false });
    return new Harness(dataDir, server, createClient({ baseUrl: server.url }));
  }

  get url(): string {
    return this.server.url;
  }

  snapshot(): Snapshot {
    const data = new Map<string, string>();
    walk(this.dataDir, '', data);
    return { data, tmp: new Set(readdirSync(tmpdir())) };
  }

  /**
   * Asserts nothing changed since `before` but SQLite's files (and layout folders a write may create);
   * `allow` admits more paths (a dataset's own folder after a failed prepare, say).
   */
  expectNoTrace(before: Snapshot, options: { allow?: (rel: string) => boolean; absent?: string[] } = {}): void {
    const after = this.snapshot();
    const changed: string[] = [];
    for (const [rel, state] of after.data) {
      if (before.data.get(rel) === state || DB_FILE.test(rel)) continue;
      if (state === 'dir' && (LAYOUT_DIRS.has(rel) || before.data.has(rel))) continue;
      if (options.allow?.(rel)) continue;
      changed.push(`${rel} (${state})`);
    }
    for (const rel of before.data.keys()) if (!after.data.has(rel) && !DB_FILE.test(rel)) changed.push(`${rel} (removed)`);
    expect(changed, `data root changed: ${changed.join(', ')}`).toEqual([]);
    const gained = [...after.tmp].filter((n) => !before.tmp.has(n) && !TEST_ROOT.test(n) && SUSPECT_TMP.test(n));
    expect(gained, `new entries in ${tmpdir()}: ${gained.join(', ')}`).toEqual([]);
    for (const p of ['/tmp/pwn.txt', '/tmp/x', '/etc/cron.d/x', path.resolve(this.dataDir, '..', 'x'), ...(options.absent ?? [])]) {
      expect(existsSync(p), `${p} exists`).toBe(false);
    }
  }

  /** `GET /health` still answers 200 quickly, and no error escaped to the process. */
  async expectHealthy(): Promise<void> {
    const escaped = this.escaped.splice(0).map(String);
    expect(escaped, `errors that would have crashed the server: ${escaped.join('; ')}`).toEqual([]);
    const res = await rawRequest(this.url, { path: '/health' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok' });
  }

  datasetIds = async (): Promise<string[]> => (await within(this.client.datasets.list(), 'list')).datasets.map((d) => d.dataset_id).sort();

  /**
   * Uploads `zip` expecting `want`; then checks the data root and temp dir are unchanged, no dataset row
   * was added and the server is healthy. Returns the error for further checks.
   */
  async expectUploadRejected(zip: Buffer, want: Rejection, options: { filename?: string; absent?: string[] } = {}): Promise<YoloopsApiError> {
    const ids = await this.datasetIds();
    const before = this.snapshot();
    const error = await apiFailure(this.client.datasets.upload({ data: zip, filename: options.filename ?? 'attack.zip' }), 'upload');
    expectRejection(error, want);
    expect(error.detail, 'server paths in the message').not.toContain(this.dataDir);
    this.expectNoTrace(before, { absent: options.absent });
    expect(await this.datasetIds()).toEqual(ids);
    await this.expectHealthy();
    return error;
  }

  /**
   * Prepares `datasetId` expecting `want`; then checks the dataset went back to `uploaded` with an `error`,
   * nothing was published or left staged under `datasets/<id>/`, and the server is healthy.
   */
  async expectPrepareRejected(datasetId: string, want: Rejection, body: Parameters<YoloopsClient['datasets']['prepare']>[1] = {}): Promise<YoloopsApiError> {
    const before = this.snapshot();
    const error = await apiFailure(this.client.datasets.prepare(datasetId, body), 'prepare');
    expectRejection(error, want);
    expect(error.detail, 'server paths in the message').not.toContain(this.dataDir);
    const own = `datasets/${datasetId}`;
    expect(filesUnder(this.dataDir, own), `files left under ${own}`).toEqual([]);
    expect([...this.snapshot().data.keys()].filter((rel) => /(^|\/)\.(staging|tmp|trash)-/.test(rel)), 'staging or temp left').toEqual([]);
    this.expectNoTrace(before, { allow: (rel) => rel === own });
    const dataset = await within(this.client.datasets.get(datasetId), 'get');
    expect(dataset.status).toBe('uploaded');
    expect(dataset.error).toBe(error.detail);
    expect(dataset.versions).toEqual([]);
    await this.expectHealthy();
    return error;
  }

  /** Uploads a ZIP that must be accepted and returns its dataset id. */
  async upload(zip: Buffer, filename = 'dataset.zip'): Promise<string> {
    const ds = await within(this.client.datasets.upload({ data: zip, filename }), 'upload');
    expect(ds.status).toBe('uploaded');
    return ds.dataset_id;
  }

  async close(): Promise<void> {
    process.off('uncaughtException', this.record);
    process.off('unhandledRejection', this.record);
    await this.client.close();
    await this.server.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
