import { RESOURCE_ID_PATTERN } from '@yoloops/core';
import { allRoutes } from '@yoloops/server-express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Harness, rawRequest, SECRET_MARKERS, within } from './harness.js';
import { coco8Zip } from './payloads.js';

/** D1/D2: hostile path-parameter values, written exactly as they go on the wire. */
const HOSTILE: [raw: string, label: string][] = [
  ['../x', 'parent segment'],
  ['..%2F..%2Fetc%2Fpasswd', 'encoded slashes'],
  ['%2e%2e', 'encoded dot-dot'],
  ['%252e%252e', 'double-encoded dot-dot'],
  ['..%5C..%5Cx', 'encoded backslashes'],
  ['a'.repeat(10_000), 'a 10 kB string'],
  ['1%20OR%201%3D1', 'SQL'],
  ['%00', 'NUL'],
  ['x%0D%0ASet-Cookie:%20a=1', 'CR LF'],
];

/** Every templated route × every one of its parameters × every hostile value. */
const CASES = allRoutes.flatMap((route) => {
  const names = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? '');
  const dialect = route.dialect ?? 's001';
  return names.flatMap((param) => HOSTILE.map(([raw, label]) => ({ method: route.method.toUpperCase(), template: route.path, param, raw, label, dialect })));
});

let h: Harness;
const valid: Record<string, string> = {};
beforeAll(async () => {
  h = await Harness.start();
  const id = await h.upload(coco8Zip());
  await within(h.client.datasets.prepare(id, {}), 'prepare');
  const task = await within(h.client.annotations.createTask({ dataset_id: id }), 'create task');
  Object.assign(valid, { dataset_id: id, task_id: task.task_id, image_id: '000000000009' });
});
afterAll(async () => h.close());

describe('path parameters of every route', () => {
  test('the route table has templated routes to attack', () => {
    expect(new Set(CASES.map((c) => c.template)).size).toBeGreaterThanOrEqual(7);
    expect(new Set(CASES.map((c) => c.param))).toEqual(new Set(['dataset_id', 'task_id', 'image_id', 'job_id', 'model_id', 'session_id', 'secret', 'user_id', 'project_id', 'experiment_id', 'worker_id']));
  });

  test.each(CASES)('$method $template rejects $param=$label with 400/404 and no file bytes', async ({ method, template, param, raw, dialect }) => {
    const path = template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => (name === param ? raw : valid[name] ?? 'x'));
    const body = method === 'POST' || method === 'PUT' ? (template.endsWith('{image_id}') ? '{"boxes": []}' : '{}') : undefined;
    const headers: Record<string, string | number> = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': body.length };
    const res = await rawRequest(h.url, { method, path, headers, body });
    // s004 routes answer every error with HTTP 200 and the status in the envelope's `code`
    const status = dialect === 's004' && res.status === 200 && res.json ? Number(res.json.code) : res.status;
    expect([400, 404], `${method} ${path.slice(0, 100)} → ${res.status} ${res.body.toString().slice(0, 200)}`).toContain(status);
    for (const marker of SECRET_MARKERS) expect(res.body.toString('latin1')).not.toContain(marker);
    expect(res.headers['set-cookie']).toBeUndefined();
    if (res.json === undefined) return; // refused by Node's HTTP parser itself (400 without a body)
    // s003: {error: {code, message, reason}, timestamp, request_id}; a path that matched no route (`..`) gets the server's 404
    const s003 = typeof res.json.error === 'object' && res.json.error !== null ? res.json.error : undefined;
    const detail = s003 ? s003.message : res.json.detail ?? res.json.message ?? res.json.msg;
    const reason = s003 ? s003.reason : dialect === 's001' || dialect === 's002' || dialect === 's002+s003' ? res.json.code : res.json.reason; // s002: FastAPI's {detail} plus our code
    expect(typeof detail).toBe('string');
    expect(String(detail).length).toBeLessThan(2000); // a 10 kB value is not echoed whole
    const decoded = (() => {
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    })();
    // image ids are file stems and experiment ids names people choose: any text but separators and controls
    if (param !== 'image_id' && param !== 'experiment_id' && !raw.includes('/') && !RESOURCE_ID_PATTERN.test(decoded)) {
      expect(status).toBe(400);
      expect(reason).toBe('validation_error');
      expect(detail).toContain(param);
    }
  });

  test('rejects a version query that is a path with 422 and never the file', async () => {
    for (const version of ['..%2F..%2F..%2Fyoloops.db', '../../../yoloops.db', 'v1%2F..%2F..%2F..%2Fyoloops.db', 'v1/../../uploads']) {
      const res = await rawRequest(h.url, { path: `/datasets/${valid.dataset_id}/export/annotated?version=${version}` });
      expect(res.status, version).toBe(422);
      expect(res.json?.code).toBe('validation_error');
      for (const marker of SECRET_MARKERS) expect(res.body.toString('latin1')).not.toContain(marker);
    }
    await h.expectHealthy();
  });
});
