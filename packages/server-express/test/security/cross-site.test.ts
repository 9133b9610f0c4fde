import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { createClient, YoloopsApiError } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, zipDirectory } from '../../../../test/support/fixtures.js';
import { jsonInit, rawRequest, type RawResponse } from '../support/http.js';
import { startPlatformServer, type PlatformServer } from '../support/model-fixtures.js';

// E8 (CVE-2024-1727): a web page the user visits must not drive the platform through their browser.
// State-changing requests with a foreign Origin (or Sec-Fetch-Site: cross-site) are refused before their
// body is read, whatever the auth mode; CORS answers only the allowed origins.

const CONFIGURED = 'https://app.example.com';
const EVIL = 'https://evil.example';
const header = (res: RawResponse, name: string) => res.headers[name.toLowerCase()] as string | undefined;

let s: PlatformServer;
let coco8: Buffer;
/** Files in the data root besides the database and the secrets: what an upload leaves. */
const storedDatasets = () => readdirSync(s.dataDir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && !e.name.startsWith('yoloops.db') && !path.relative(s.dataDir, e.parentPath).startsWith('secrets')).length;
const upload = (headers: Record<string, string>) => {
  const client = createClient({ baseUrl: s.url, headers });
  return client.datasets.upload({ data: coco8, filename: 'coco8.zip' }).finally(() => client.close());
};
const refusal = async (call: Promise<unknown>) => {
  const error = await call.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(YoloopsApiError);
  return error as YoloopsApiError;
};

beforeAll(async () => {
  s = await startPlatformServer({ app: { corsOrigins: [CONFIGURED] } });
  coco8 = await zipDirectory(fixturePath('datasets/coco8'));
}, 30_000);
afterAll(async () => s?.close());

describe('E8: cross-site state-changing requests (auth off)', () => {
  test('a multipart upload with Origin https://evil.example is a 403 and nothing is stored', async () => {
    const error = await refusal(upload({ origin: EVIL }));
    expect(error.status).toBe(403);
    expect(error.body).toEqual({ detail: expect.stringMatching(/^cross-site request refused: origin https:\/\/evil\.example may not change anything here/), code: 'cross_site_request' });
    expect((await rawRequest(s.url, 'GET', '/datasets')).json).toEqual({ datasets: [] });
    expect(storedDatasets()).toBe(0);
  });

  test('the 403 comes before the body is read: an upload announcing 50 MB and sending none is answered at once', async () => {
    const { hostname, port } = new URL(s.url);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({
        host: hostname, port, method: 'POST', path: '/datasets/upload', agent: false,
        headers: { origin: EVIL, 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(50 * 1024 * 1024) },
      }, (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      });
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      req.flushHeaders();
    });
    expect(status).toBe(403);
    expect(storedDatasets()).toBe(0);
  });

  test('no Origin but Sec-Fetch-Site: cross-site, and Origin: null (sandboxed frames, file://), are refused the same way', async () => {
    expect((await refusal(upload({ 'sec-fetch-site': 'cross-site' }))).status).toBe(403);
    expect((await refusal(upload({ origin: 'null' }))).status).toBe(403);
    expect(storedDatasets()).toBe(0);
  });

  test('PUT and DELETE from a foreign origin change nothing; GET from it is answered but unreadable (no CORS headers)', async () => {
    const { dataset_id } = await upload({});
    expect(storedDatasets()).toBeGreaterThan(0); // what the refused upload would have left
    const put = await rawRequest(s.url, 'PUT', `/datasets/${dataset_id}`, { ...jsonInit({ description: 'pwned' }), headers: { 'content-type': 'application/json', origin: EVIL } });
    expect(put.status).toBe(403);
    const del = await rawRequest(s.url, 'DELETE', `/datasets/${dataset_id}`, { headers: { origin: EVIL } });
    expect(del.status).toBe(403);
    const read = await rawRequest(s.url, 'GET', `/datasets/${dataset_id}`, { headers: { origin: EVIL } });
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ dataset_id });
    expect(read.text).not.toContain('pwned');
    expect(header(read, 'Access-Control-Allow-Origin')).toBeUndefined();
    expect(header(read, 'Access-Control-Allow-Credentials')).toBeUndefined();
    expect(header(read, 'Vary')).toMatch(/Origin/);
    expect((await rawRequest(s.url, 'DELETE', `/datasets/${dataset_id}`)).status).toBe(200);
  });

  test('callers that are not browsers (no Origin), the same origin, loopback dev origins and configured origins pass', async () => {
    const self = new URL(s.url).origin;
    for (const origin of [undefined, self, 'http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080', CONFIGURED]) {
      const headers: Record<string, string> = origin ? { origin, 'sec-fetch-site': origin === self ? 'same-origin' : 'cross-site' } : {};
      const { dataset_id } = await upload(headers);
      expect(dataset_id, String(origin)).toMatch(/^ds_/);
      expect((await rawRequest(s.url, 'DELETE', `/datasets/${dataset_id}`, { headers })).status).toBe(200);
    }
  });

  test('the 403 is in the route family\'s dialect (seed 004 callers get their envelope)', async () => {
    const res = await rawRequest(s.url, 'POST', '/api/model/train/notify/status', { ...jsonInit({ trainTaskId: 'job_x', statusType: 2 }), headers: { 'content-type': 'application/json', origin: EVIL } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ success: false, code: 403, msg: expect.stringMatching(/^cross-site request refused/) });
  });
});

describe('CORS', () => {
  test('a configured origin gets its own origin back with credentials, and may read the rate-limit and download headers', async () => {
    const res = await rawRequest(s.url, 'GET', '/datasets', { headers: { origin: CONFIGURED } });
    expect(res.status).toBe(200);
    expect(header(res, 'Access-Control-Allow-Origin')).toBe(CONFIGURED);
    expect(header(res, 'Access-Control-Allow-Credentials')).toBe('true');
    expect(header(res, 'Access-Control-Expose-Headers')).toMatch(/Content-Disposition.*Retry-After.*X-RateLimit-Limit/);
  });

  test('an unknown origin, a look-alike of a configured one, and a malformed one get no CORS header at all', async () => {
    for (const origin of [EVIL, 'https://app.example.com.evil.example', 'http://app.example.com', 'https://localhost.evil.example', 'not a url']) {
      const res = await rawRequest(s.url, 'GET', '/datasets', { headers: { origin } });
      expect(res.status).toBe(200);
      expect(header(res, 'Access-Control-Allow-Origin'), origin).toBeUndefined();
      expect(header(res, 'Access-Control-Allow-Credentials'), origin).toBeUndefined();
    }
  });

  test('preflights list the methods and request headers for allowed origins only', async () => {
    const preflight = (origin: string) => rawRequest(s.url, 'OPTIONS', '/datasets/upload', {
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    for (const origin of [CONFIGURED, 'http://localhost:5173']) {
      const ok = await preflight(origin);
      expect(ok.status).toBe(204);
      expect(header(ok, 'Access-Control-Allow-Origin')).toBe(origin);
      expect(header(ok, 'Access-Control-Allow-Credentials')).toBe('true');
      expect(header(ok, 'Access-Control-Allow-Methods')).toBe('GET,POST,PUT,PATCH,DELETE,OPTIONS');
      expect(header(ok, 'Access-Control-Allow-Headers')?.split(',')).toEqual(expect.arrayContaining(['Authorization', 'Content-Type']));
    }
    const refused = await preflight(EVIL);
    expect(refused.status).toBe(204);
    for (const name of ['Access-Control-Allow-Origin', 'Access-Control-Allow-Credentials', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers']) {
      expect(header(refused, name), name).toBeUndefined();
    }
  });

  test('the same origin is recognised from the Host header: same host and port, not just the same host', async () => {
    const { port } = new URL(s.url);
    const post = (origin: string) => rawRequest(s.url, 'POST', '/train/jobs', { ...jsonInit({ dataset_id: 'ds_missing' }), headers: { 'content-type': 'application/json', host: `127.0.0.2:${port}`, origin } });
    const same = await post(`http://127.0.0.2:${port}`);
    expect(same.status).toBe(404); // past the guard: the route's own answer
    expect(header(same, 'Access-Control-Allow-Origin')).toBe(`http://127.0.0.2:${port}`);
    expect((await post('http://127.0.0.2:1')).status).toBe(403);
  });
});

describe('DNS rebinding (auth off)', () => {
  test('a request for a host name the server does not serve is a 403, reads included; IP literals, localhost and configured hosts are served', async () => {
    const { port } = new URL(s.url);
    const read = (host: string) => rawRequest(s.url, 'GET', '/datasets', { headers: { host } });
    const rebound = await read(`evil.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(rebound.json).toEqual({ detail: expect.stringMatching(/^host evil\.example is not served while auth is off \(DNS rebinding protection\)/), code: 'host_not_allowed' });
    expect(header(rebound, 'Access-Control-Allow-Origin')).toBeUndefined();
    for (const host of [`127.0.0.1:${port}`, `[::1]:${port}`, `localhost:${port}`, `app.localhost:${port}`, 'app.example.com', `APP.example.com:${port}`, `10.1.2.3:${port}`]) {
      expect((await read(host)).status, host).toBe(200);
    }
  });

  test('with auth required any host name is served (a token is the protection then)', async () => {
    const required = await startPlatformServer({ app: { auth: { mode: 'required' } } });
    try {
      const res = await rawRequest(required.url, 'GET', '/health', { headers: { host: 'yoloops.example.org' } });
      expect(res.status).toBe(200);
    } finally {
      await required.close();
    }
  });

  test('the public URL\'s host is served with auth off', async () => {
    const named = await startPlatformServer({ app: { auth: { publicUrl: 'http://gpu-box.lan:8000' } } });
    try {
      expect((await rawRequest(named.url, 'GET', '/datasets', { headers: { host: 'gpu-box.lan:8000' } })).status).toBe(200);
      expect((await rawRequest(named.url, 'GET', '/datasets', { headers: { host: 'other.lan:8000' } })).status).toBe(403);
    } finally {
      await named.close();
    }
  });
});
