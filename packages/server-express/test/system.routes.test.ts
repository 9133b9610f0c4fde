import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFfmpeg } from '@yoloops/core/node';
import { allRoutes } from '@yoloops/server-express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { REPO_ROOT } from '../../../test/support/fixtures.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { jsonInit, rawRequest } from './support/http.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t?.close());

describe('GET /', () => {
  test('returns the origin\'s service name and version, exactly', async () => {
    expect(await t.client.system.root()).toEqual({ message: 'YOLO Training Platform API', version: '1.0.0' });
  });
});

describe('GET /health', () => {
  test('returns status ok and the video programs in use, looked up once (ffmpeg is never run per request)', async () => {
    // a stand-in ffmpeg through YOLOOPS_FFMPEG, logging each run; ffprobe is found as the video routes find it
    const bin = mkdtempSync(path.join(tmpdir(), 'yoloops-health-'));
    const ffmpeg = path.join(bin, 'ffmpeg');
    writeFileSync(ffmpeg, `#!/bin/sh\necho "$*" >> "$0.calls"\ncase "$*" in *-version*) echo "ffmpeg version 9.9-health";; *-encoders*) echo " V....D libx264   H.264 (codec h264)";; esac\n`, { mode: 0o755 });
    const saved = process.env.YOLOOPS_FFMPEG;
    process.env.YOLOOPS_FFMPEG = ffmpeg;
    try {
      const ffprobe = (await findFfmpeg())?.ffprobe;
      const runsBefore = readFileSync(`${ffmpeg}.calls`, 'utf8').trim().split('\n').length;
      for (let i = 0; i < 3; i++) {
        expect(await t.client.system.health()).toEqual({
          status: 'ok',
          video: { ffmpeg: { path: ffmpeg, source: 'env', version: '9.9-health', h264: true }, ffprobe: { path: ffprobe, source: expect.stringMatching(/^(system|npm)$/) } },
        });
      }
      expect(readFileSync(`${ffmpeg}.calls`, 'utf8').trim().split('\n')).toHaveLength(runsBefore);
    } finally {
      if (saved === undefined) delete process.env.YOLOOPS_FFMPEG;
      else process.env.YOLOOPS_FFMPEG = saved;
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('GET /openapi.json', () => {
  test('serves the same document as the committed openapi/openapi.yaml', async () => {
    const res = await rawRequest(t.url, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const committed: unknown = YAML.parse(readFileSync(path.join(REPO_ROOT, 'openapi/openapi.yaml'), 'utf8'));
    expect(res.json).toEqual(committed);
  });

  test('documents every route of the route table', async () => {
    const doc = (await rawRequest(t.url, 'GET', '/openapi.json')).json as { paths: Record<string, Record<string, { operationId: string }>> };
    for (const route of allRoutes) expect(doc.paths[route.path]?.[route.method]?.operationId, `${route.method} ${route.path}`).toBe(route.operationId);
  });
});

describe('CORS', () => {
  test('answers a loopback dev origin\'s preflight with 204, its origin, credentials, the methods and the request headers', async () => {
    const res = await rawRequest(t.url, 'OPTIONS', '/datasets/upload', {
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers['access-control-allow-methods']).split(',')).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']));
    expect(String(res.headers['access-control-allow-headers']).split(',')).toEqual(expect.arrayContaining(['Content-Type', 'Authorization']));
  });

  test('allows a loopback dev origin on ordinary responses, errors included; any other origin gets no CORS header', async () => {
    for (const p of ['/health', '/datasets/ds_unknown']) {
      const dev = await rawRequest(t.url, 'GET', p, { headers: { origin: 'http://127.0.0.1:5173' } });
      expect(dev.headers['access-control-allow-origin'], p).toBe('http://127.0.0.1:5173');
      const foreign = await rawRequest(t.url, 'GET', p, { headers: { origin: 'http://example.test' } });
      expect(foreign.headers['access-control-allow-origin'], p).toBeUndefined();
    }
  });
});

describe('unknown routes', () => {
  test('return 404 {detail: "Not Found"} like the origin', async () => {
    for (const [method, p] of [['GET', '/nope'], ['POST', '/datasets'], ['DELETE', '/annotations/tasks']] as const) {
      const res = await rawRequest(t.url, method, p);
      expect(res.status, `${method} ${p}`).toBe(404);
      expect(res.json).toMatchObject({ detail: 'Not Found' });
    }
  });
});

describe('JSON request bodies', () => {
  test('return 400 with a clear detail when malformed, not 500', async () => {
    const res = await rawRequest(t.url, 'POST', '/annotations/tasks', { body: '{"dataset_id": ', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ detail: expect.stringMatching(/^malformed request body: .*JSON/), code: expect.any(String) });
  });

  test('return 413 when larger than the 1 MiB limit', async () => {
    const res = await rawRequest(t.url, 'PUT', '/datasets/ds_unknown', jsonInit({ description: 'x'.repeat(2 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ detail: expect.stringContaining('too large') });
  });
});

describe('GET /static/{path}', () => {
  test('serves nothing outside dataset images: not the database, not uploads', async () => {
    for (const p of ['/static/yoloops.db', '/static/uploads', '/static/datasets/x/v1/data.yaml', '/static/%2e%2e/etc/passwd']) {
      const res = await rawRequest(t.url, 'GET', p);
      expect([400, 404], p).toContain(res.status);
      expect(res.json, p).toMatchObject({ detail: expect.any(String) });
    }
  });
});
