import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { createDatasetCache } from '../../src/worker/dataset-cache.js';
import { createWorkerHttp, type WorkerHttp } from '../../src/worker/worker-http.js';
import { startFakeWorkerServer, type FakeWorkerServer } from '../support/fake-worker-server.js';

let server: FakeWorkerServer;
let http: WorkerHttp;
let root: string;
const logs: string[] = [];
const retry = { backoff: { baseMs: 5, capMs: 20 }, log: (line: string) => void logs.push(line) };
const source = { url: '/api/workers/jobs/job_1/dataset?attempt=1', dataset_id: 'ds_1', version: 'v1' };

async function datasetZip(extra: (zip: JSZip) => void = () => undefined, platform: 'DOS' | 'UNIX' = 'DOS'): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('data.yaml', 'path: .\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n');
  zip.file('images/train/a.jpg', 'jpeg bytes');
  zip.file('labels/train/a.txt', '0 0.5 0.5 0.1 0.1\n');
  extra(zip);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', platform });
}

beforeEach(async () => {
  server = await startFakeWorkerServer();
  http = createWorkerHttp({ serverUrl: server.url, token: 'tok' });
  root = mkdtempSync(path.join(tmpdir(), 'worker-ds-'));
  logs.length = 0;
});
afterEach(async () => {
  await http.close();
  await server.stop();
});

describe('dataset cache', () => {
  test('downloads the version, extracts it once per content and points data.yaml at the local folder; new bytes under the same version get a new folder', async () => {
    const first = await datasetZip();
    server.files.set('/api/workers/jobs/job_1/dataset', first);
    const cache = createDatasetCache({ http, dir: path.join(root, 'datasets'), retry });
    const dataYaml = await cache.fetch(source);
    const folder = path.join(root, 'datasets', 'ds_1', 'v1', createHash('sha256').update(first).digest('hex'));
    expect(dataYaml).toBe(path.join(folder, 'data.yaml'));
    expect(parse(readFileSync(dataYaml, 'utf8'))).toEqual({ path: folder, train: 'images/train', val: 'images/val', names: { 0: 'cat' } });
    expect(readFileSync(path.join(folder, 'labels/train/a.txt'), 'utf8')).toBe('0 0.5 0.5 0.1 0.1\n');
    // The same bytes again (another attempt): the extracted folder is reused as it is.
    writeFileSync(path.join(folder, 'marker'), 'kept');
    expect(await cache.fetch(source)).toBe(dataYaml);
    expect(existsSync(path.join(folder, 'marker'))).toBe(true);
    const gets = server.requests.filter((r) => r.method === 'GET');
    expect(gets.map((r) => [r.path, r.authorization])).toEqual([[source.url, 'Bearer tok'], [source.url, 'Bearer tok']]);
    // Prepared again under the same version name: other bytes, another folder.
    server.files.set('/api/workers/jobs/job_1/dataset', await datasetZip((zip) => zip.file('labels/train/a.txt', '0 0.4 0.4 0.2 0.2\n')));
    const again = await cache.fetch(source);
    expect(again).not.toBe(dataYaml);
    expect(readFileSync(path.join(path.dirname(again), 'labels/train/a.txt'), 'utf8')).toBe('0 0.4 0.4 0.2 0.2\n');
    // Nothing left behind but the extracted versions.
    expect(readdirSync(path.join(root, 'datasets'))).toEqual(['ds_1']);
    expect(readdirSync(path.join(root, 'datasets', 'ds_1', 'v1'))).toHaveLength(2);
  });

  test('retries while the server answers 503, then succeeds', async () => {
    server.files.set('/api/workers/jobs/job_1/dataset', await datasetZip());
    server.files.set(source.url, [{ status: 503 }, { status: 503 }]);
    const cache = createDatasetCache({ http, dir: path.join(root, 'datasets'), retry });
    expect(existsSync(await cache.fetch(source))).toBe(true);
    expect(server.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
    expect(logs.join('\n')).toMatch(/download of dataset ds_1\/v1 failed \(GET \/api\/workers\/jobs\/job_1\/dataset answered HTTP 503: scripted failure\); retrying/);
  });

  test('a ZIP entry leaving the folder is refused and nothing is written outside the cache', async () => {
    server.files.set('/api/workers/jobs/job_1/dataset', await datasetZip((zip) => zip.file('../../escaped.txt', 'evil')));
    const cache = createDatasetCache({ http, dir: path.join(root, 'datasets'), retry });
    await expect(cache.fetch(source)).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'unsafe_path' });
    expect(existsSync(path.join(root, 'escaped.txt'))).toBe(false);
    expect(readdirSync(path.join(root, 'datasets'))).toEqual(['ds_1']);
    expect(readdirSync(path.join(root, 'datasets', 'ds_1', 'v1'))).toEqual([]);
  });

  test('a symlink entry is refused, and nothing is extracted', async () => {
    server.files.set('/api/workers/jobs/job_1/dataset', await datasetZip((zip) => zip.file('labels/link', '/etc/passwd', { unixPermissions: 0o120777 }), 'UNIX'));
    const cache = createDatasetCache({ http, dir: path.join(root, 'datasets'), retry });
    await expect(cache.fetch(source)).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'link_entry' });
    expect(readdirSync(path.join(root, 'datasets', 'ds_1', 'v1'))).toEqual([]);
  });

  test('a ZIP over the size cap is refused as too large', async () => {
    server.files.set('/api/workers/jobs/job_1/dataset', await datasetZip());
    const cache = createDatasetCache({ http, dir: path.join(root, 'datasets'), retry, maxZipBytes: 100 });
    await expect(cache.fetch(source)).rejects.toMatchObject({ code: 'TOO_LARGE', reason: 'download_too_large' });
  });

  test('ids that are not folder names, and URLs on another origin, are refused before any request', async () => {
    const cache = createDatasetCache({ http, dir: path.join(root, 'datasets'), retry });
    await expect(cache.fetch({ ...source, dataset_id: '..' })).rejects.toMatchObject({ reason: 'unsafe_path' });
    await expect(cache.fetch({ ...source, version: 'a/b' })).rejects.toMatchObject({ reason: 'unsafe_path' });
    await expect(cache.fetch({ ...source, url: 'http://169.254.169.254/latest' })).rejects.toMatchObject({ reason: 'foreign_url' });
    expect(server.requests).toEqual([]);
  });
});
