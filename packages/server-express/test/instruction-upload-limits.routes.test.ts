import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAuthServer, type AuthServer } from './support/auth.js';
import { rawRequest } from './support/http.js';
import { multipartForm, sharegptLines, type FormPart } from './support/instruction-data.js';

const CAP = 4096;
let s: AuthServer;
beforeAll(async () => {
  s = await startAuthServer({ limits: { maxUploadBytes: CAP } });
});
afterAll(async () => s?.close());

/** Files (not folders) under `instructions/` and `tmp/`. */
const leftovers = () =>
  ['instructions', 'tmp'].flatMap((dir) =>
    existsSync(path.join(s.dataDir, dir)) ? readdirSync(path.join(s.dataDir, dir), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name) : []);

describe('POST /api/v1/datasets/upload over the upload cap', () => {
  const big: FormPart = { name: 'file', filename: 'big.jsonl', data: sharegptLines(200).join('\n') };
  test.each<{ label: string; parts: FormPart[] }>([
    { label: 'name before the file (streamed into the service)', parts: [{ name: 'name', value: 'big' }, big] },
    { label: 'name after the file (staged)', parts: [big, { name: 'name', value: 'big' }] },
  ])('$label → 413 naming the limit, nothing kept', async ({ parts }) => {
    expect(Buffer.byteLength(big.data as string)).toBeGreaterThan(CAP);
    const form = multipartForm(parts);
    const res = await rawRequest(s.url, 'POST', '/api/v1/datasets/upload', { body: form.body, headers: { ...form.headers, authorization: `Bearer ${s.adminToken}` } });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ error: { message: expect.stringContaining(`${CAP} byte limit`), reason: 'upload_too_large' }, request_id: expect.any(String) });
    expect(leftovers()).toEqual([]);
    expect((await s.call('GET', '/api/v1/health')).status).toBe(200);
  });
});
