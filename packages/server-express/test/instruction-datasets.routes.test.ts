import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, zipDirectory } from '../../../test/support/fixtures.js';
import { startAuthServer, type AuthServer } from './support/auth.js';
import { expectApiError, rawRequest } from './support/http.js';
import { alpacaCsv, alpacaRecords, multipartForm, sharegptLines, type FormPart } from './support/instruction-data.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let s: AuthServer;
let admin: YoloopsClient;
let alice: YoloopsClient;
let bob: YoloopsClient;
let aliceId: number;
let bobToken: string;
const alpaca = Buffer.from(JSON.stringify([...alpacaRecords(50), alpacaRecords(1)[0], { instruction: ' ', output: '空指令' }], null, 1));

beforeAll(async () => {
  s = await startAuthServer();
  admin = createClient({ baseUrl: s.url, token: s.adminToken });
  const a = await s.member('alice');
  aliceId = a.id;
  alice = createClient({ baseUrl: s.url, token: a.token });
  bobToken = (await s.member('bob')).token;
  bob = createClient({ baseUrl: s.url, token: bobToken });
});
afterAll(async () => s?.close());

/** POSTs a hand-made form to the seed 003 upload route, parts in the given order. */
const postForm = (parts: readonly FormPart[], token = s.adminToken) => {
  const form = multipartForm(parts);
  return rawRequest(s.url, 'POST', '/api/v1/datasets/upload', { body: form.body, headers: { ...form.headers, authorization: `Bearer ${token}` } });
};
/** Files under the data root's `instructions/` and `tmp/instruction-uploads/` (what an upload leaves behind). */
const stored = () =>
  ['instructions', 'tmp/instruction-uploads'].flatMap((dir) => {
    const full = path.join(s.dataDir, dir);
    if (!existsSync(full)) return [];
    return readdirSync(full, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(s.dataDir, path.join(e.parentPath, e.name)));
  });

describe('POST /api/v1/datasets/upload', () => {
  test('an Alpaca JSON array: the seed\'s body with real counts and size, the file kept, the report per record', async () => {
    const ds = await alice.catalog.datasets.uploadInstructions({ data: alpaca, filename: 'finance.json' }, { name: '金融领域数据集', description: '金融领域专业问答数据集' });
    expect(ds).toEqual({
      id: expect.stringMatching(/^ids_/), name: '金融领域数据集', path: expect.any(String), uploaded_at: expect.stringMatching(ISO),
      size_mb: Math.round((alpaca.length / 1048576) * 100) / 100, samples_count: 50, description: '金融领域专业问答数据集', message: '数据集上传成功',
      number: expect.any(Number), format: 'json', record_format: 'alpaca', size_bytes: alpaca.length,
      report: { records_total: 52, records_valid: 50, records_invalid: 1, duplicates: 1, formats: { alpaca: 50 }, issue_counts: { duplicate: 1, empty_text: 1 }, issues_truncated: 0 },
    });
    expect(path.isAbsolute(ds.path) && ds.path.startsWith(s.dataDir)).toBe(true);
    expect(readFileSync(ds.path).equals(alpaca)).toBe(true);
    const report = await alice.catalog.datasets.report(ds.number);
    expect(report).toMatchObject({ record_format: 'alpaca', records_valid: 50 });
    expect(report.issues).toEqual([
      { index: 50, code: 'duplicate', message: expect.stringContaining('record 50') },
      { index: 51, code: 'empty_text', field: 'instruction', message: 'instruction is empty' },
    ]);
    expect(await alice.catalog.datasets.report(ds.id)).toEqual(report);
  });

  test('ShareGPT JSON Lines with `name` after the file (staged, then kept): bad JSON reported by line, nothing left in tmp', async () => {
    const lines = [...sharegptLines(20).slice(0, 3), '{"conversations": [', ...sharegptLines(20).slice(3)].join('\n');
    const res = await postForm([{ name: 'file', filename: 'chat.JSONL', data: lines }, { name: 'description', value: '对话' }, { name: 'name', value: 'chat' }]);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ name: 'chat', description: '对话', samples_count: 20, format: 'jsonl', record_format: 'sharegpt', message: '数据集上传成功' });
    const id = (res.json as { id: string }).id;
    expect((await admin.catalog.datasets.report(id)).issues).toEqual([{ index: 3, line: 4, code: 'bad_json', message: expect.stringMatching(/^line 4 is not valid JSON/) }]);
    expect(stored().filter((k) => k.startsWith('tmp/'))).toEqual([]);
  });

  test('a CSV (format field, quoted commas and quotes) and a description sent after the file in the fast path', async () => {
    const csv = alpacaCsv(10);
    const res = await postForm([{ name: 'name', value: 'csv' }, { name: 'file', filename: 'rows.csv', data: csv }, { name: 'format', value: 'csv' }, { name: 'description', value: '后来的描述' }]);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ name: 'csv', description: '后来的描述', samples_count: 10, format: 'csv', record_format: 'alpaca', size_bytes: Buffer.byteLength(csv) });
    expect((await admin.catalog.datasets.list()).datasets.filter((d) => d.name === 'csv')).toHaveLength(1); // the first copy was replaced, not kept
  });

  const file: FormPart = { name: 'file', filename: 'a.json', data: JSON.stringify(alpacaRecords(3)) };
  test.each<{ label: string; parts: FormPart[]; details: string[] }>([
    { label: 'no file part', parts: [{ name: 'name', value: 'x' }], details: ["缺少必需字段 'file'"] },
    { label: 'an empty file name', parts: [{ name: 'name', value: 'x' }, { ...file, filename: '' }], details: ['未选择文件'] },
    { label: 'a .txt file', parts: [{ name: 'name', value: 'x' }, { ...file, filename: 'a.txt' }], details: ['文件格式必须是 JSON 或 CSV'] },
    { label: 'no name', parts: [file], details: ["缺少必需字段 'name'"] },
    { label: 'a blank name', parts: [{ name: 'name', value: ' \t' }, file], details: ["'name' 不能为空"] },
    { label: 'a bad format after the file', parts: [{ name: 'name', value: 'x' }, file, { name: 'format', value: 'xml' }], details: ["'format' 必须是 'json' 或 'csv'"] },
    { label: 'no file and no name', parts: [{ name: 'description', value: 'd' }], details: ["缺少必需字段 'file'", "缺少必需字段 'name'"] },
  ])('$label → 400 INVALID_REQUEST with the origin\'s details, nothing kept', async ({ parts, details }) => {
    const before = stored();
    const res = await postForm(parts);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: { code: 'INVALID_REQUEST', message: 'Invalid dataset upload request', reason: 'invalid_request', details },
      timestamp: expect.stringMatching(ISO), request_id: expect.stringMatching(UUID),
    });
    expect(res.headers['x-request-id']).toBe((res.json as { request_id: string }).request_id);
    expect(stored()).toEqual(before);
  });

  test('a file with no valid record is a 400 naming why; nothing is kept', async () => {
    const before = stored();
    const res = await postForm([{ name: 'name', value: 'bad' }, { name: 'file', filename: 'bad.json', data: '[{"foo": 1}, {"instruction": "", "output": ""}]' }]);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/no valid records/), reason: 'no_valid_records' } });
    expect(stored()).toEqual(before);
  });

  test('a body cut off mid-file is a 400 and leaves nothing', async () => {
    const before = stored();
    const form = multipartForm([{ name: 'name', value: 'cut' }, { name: 'file', filename: 'a.jsonl', data: sharegptLines(50).join('\n') }]);
    const res = await rawRequest(s.url, 'POST', '/api/v1/datasets/upload', { body: form.body.subarray(0, form.body.length - 400), headers: { ...form.headers, authorization: `Bearer ${s.adminToken}` } });
    expect(res.status).toBe(400);
    expect(stored()).toEqual(before);
  });
});

describe('/api/v1/datasets (seeds 002 and 003 together)', () => {
  test('lists detection and instruction datasets with both shapes; count and timestamp beside total', async () => {
    const zip = await zipDirectory(fixturePath('datasets/coco8'));
    const detection = await admin.datasets.upload({ data: zip, filename: 'coco8.zip' });
    const mine = await admin.catalog.datasets.uploadInstructions({ data: Buffer.from(sharegptLines(5).join('\n')), filename: 'five.jsonl' }, { name: 'five' });
    const list = await admin.catalog.datasets.list();
    expect(list).toMatchObject({ total: list.datasets.length, count: list.datasets.length, timestamp: expect.stringMatching(ISO) });
    const row = list.datasets.find((d) => d.dataset_id === mine.id);
    expect(row).toEqual({
      id: mine.number, dataset_id: mine.id, name: 'five', description: '', project_id: null, owner_id: 1, format: 'jsonl', size: mine.size_bytes,
      size_formatted: expect.stringMatching(/ B$|KB$/), row_count: 5, status: 'ready', state: 'uploaded', classes: [], error: null, created_at: mine.uploaded_at,
      kind: 'instruction', path: mine.path, size_mb: mine.size_mb, samples_count: 5, record_format: 'sharegpt', processed: [],
    });
    expect(list.datasets.find((d) => d.dataset_id === detection.dataset_id)).toMatchObject({ format: 'yolo', kind: 'detection', size: zip.length, record_format: null, processed: [], samples_count: 0 });
    expect(new Set(list.datasets.map((d) => d.id)).size).toBe(list.datasets.length); // one numbering for both kinds
    expect(await admin.catalog.datasets.get(mine.number)).toEqual(row);
    expect(await admin.catalog.datasets.get(mine.id)).toEqual(row);
  });

  test('a seed 002 record of format jsonl (or a .csv file on a yolo record) uploads an instruction dataset', async () => {
    const record = await admin.catalog.datasets.create({ name: '记录', description: 'from seed 002', format: 'jsonl' });
    expect(record).toMatchObject({ format: 'jsonl', kind: 'instruction', status: 'pending', dataset_id: null });
    const { dataset } = await admin.catalog.datasets.upload(record.id, { data: Buffer.from(sharegptLines(7).join('\n')), filename: 'seven.txt' });
    expect(dataset).toMatchObject({ id: record.id, dataset_id: expect.stringMatching(/^ids_/), name: '记录', description: 'from seed 002', format: 'jsonl', row_count: 7, status: 'ready', record_format: 'sharegpt' });
    const yolo = await admin.catalog.datasets.create({ name: 'csv on yolo' });
    const csv = await admin.catalog.datasets.upload(yolo.id, { data: Buffer.from(alpacaCsv(4)), filename: 'rows.csv' });
    expect(csv.dataset).toMatchObject({ format: 'csv', kind: 'instruction', samples_count: 4 });
  });

  test('DELETE by number removes an instruction dataset and its file; the number is not reused', async () => {
    const ds = await admin.catalog.datasets.uploadInstructions({ data: Buffer.from(JSON.stringify(alpacaRecords(2))), filename: 'gone.json' }, { name: 'gone' });
    expect(await admin.catalog.datasets.delete(ds.number)).toBeUndefined();
    expect(existsSync(ds.path)).toBe(false);
    await expectApiError(admin.catalog.datasets.get(ds.id), 404, 'Dataset not found');
    const next = await admin.catalog.datasets.create({ name: 'after' });
    expect(next.id).toBeGreaterThan(ds.number);
  });
});

describe('tenancy', () => {
  test('another member\'s instruction dataset is a 404 everywhere; lists show a member its own; the admin sees all', async () => {
    const ds = await alice.catalog.datasets.uploadInstructions({ data: Buffer.from(JSON.stringify(alpacaRecords(4))), filename: 'private.json' }, { name: 'private' });
    for (const ref of [ds.id, ds.number]) {
      await expectApiError(bob.catalog.datasets.get(ref), 404, 'Dataset not found');
      await expectApiError(bob.catalog.datasets.report(ref), 404, 'Dataset not found');
      await expectApiError(bob.catalog.datasets.delete(ref), 404, 'Dataset not found');
      const res = await rawRequest(s.url, 'POST', '/api/v1/datasets/process', {
        body: JSON.stringify({ dataset_id: String(ref), output_name: 'stolen' }), headers: { 'content-type': 'application/json', authorization: `Bearer ${bobToken}` },
      });
      expect({ status: res.status, error: (res.json as { error: unknown }).error }).toEqual({ status: 404, error: { code: 'NOT_FOUND', message: 'Dataset not found', reason: 'not_found' } });
    }
    expect((await bob.catalog.datasets.list()).datasets.map((d) => d.dataset_id)).not.toContain(ds.id);
    const own = (await alice.catalog.datasets.list()).datasets;
    expect(own.map((d) => d.dataset_id)).toContain(ds.id);
    expect(own.every((d) => d.owner_id === aliceId)).toBe(true);
    expect((await admin.catalog.datasets.list()).datasets.map((d) => d.dataset_id)).toContain(ds.id);
    expect(await alice.catalog.datasets.get(ds.number)).toMatchObject({ dataset_id: ds.id, owner_id: aliceId });
  });
});
