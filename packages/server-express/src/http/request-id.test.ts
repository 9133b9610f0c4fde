import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRequestIdMiddleware, requestIdOf } from './request-id.js';

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.use(createRequestIdMiddleware());
  app.get('/id', (_req, res) => {
    res.json({ id: requestIdOf(res) });
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const call = async (headers: Record<string, string | string[]> = {}) => {
  const res = await request(`${base}/id`, { headers });
  const body = (await res.body.json()) as { id: string };
  return { header: res.headers['x-request-id'], id: body.id };
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createRequestIdMiddleware', () => {
  test('gives each request a new UUID v4, the same in the header and in requestIdOf', async () => {
    const [a, b] = [await call(), await call()];
    expect(a.header).toMatch(UUID);
    expect(a.id).toBe(a.header);
    expect(b.id).not.toBe(a.id);
  });

  test.each([
    { given: 'req-12345678', want: 'req-12345678' },
    { given: ' trace:abc.DEF_9@edge=1+2 ', want: 'trace:abc.DEF_9@edge=1+2' },
    { given: 'x'.repeat(128), want: 'x'.repeat(128) },
  ])('keeps a sane incoming X-Request-ID $given', async ({ given, want }) => {
    expect(await call({ 'x-request-id': given })).toEqual({ header: want, id: want });
  });

  test.each([
    { label: 'too long', given: { 'x-request-id': 'x'.repeat(129) } },
    { label: 'with a space', given: { 'x-request-id': 'a b' } },
    { label: 'with a quote and a newline escape', given: { 'x-request-id': 'a"\\nb' } },
    { label: 'non-ASCII', given: { 'x-request-id': 'ü' } },
    { label: 'empty', given: { 'x-request-id': '' } },
    { label: 'sent twice', given: { 'x-request-id': ['a', 'b'] } },
  ])('replaces an incoming id that is $label with a new one', async ({ given }) => {
    const res = await call(given);
    expect(res.header).toMatch(UUID);
    expect(res.id).toBe(res.header);
  });
});
