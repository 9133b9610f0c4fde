import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { createMemoryBlobStore } from '../adapters/memory/memory-blob-store.js';
import { createMemoryInstructionDatasetStore } from '../adapters/memory/memory-instruction-dataset-store.js';
import { createMemoryProcessingTaskStore } from '../adapters/memory/memory-processing-task-store.js';
import { createFsBlobStore } from '../adapters/fs/fs-blob-store.js';
import type { Clock } from '../platform/clock.port.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import { createInstructionDatasetService } from './instruction-dataset-service.js';

const FIXTURES = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const fixture = (name: string) => createReadStream(path.join(FIXTURES, name));
const clock: Clock = { now: () => new Date('2024-03-08T15:20:00.000Z') };
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function setup(o: { blobs?: BlobStore; maxUploadBytes?: number } = {}) {
  const blobs = o.blobs ?? createMemoryBlobStore();
  const datasets = createMemoryInstructionDatasetStore();
  const tasks = createMemoryProcessingTaskStore();
  const limits = o.maxUploadBytes === undefined ? {} : { maxUploadBytes: o.maxUploadBytes };
  return { blobs, datasets, tasks, service: createInstructionDatasetService({ datasets, tasks, blobs, clock, limits }) };
}

const text = async (blobs: BlobStore, key: string) => (await blobs.readBytes(key)).toString('utf8');

describe('upload', () => {
  test('an Alpaca JSON array (the origin’s instruction/response shape): real counts, size, formats and a report', async () => {
    const { service } = setup();
    const ds = await service.upload({ body: fixture('alpaca.json'), filename: 'finance.json', name: '金融领域数据集', description: '金融领域专业问答数据集', ownerId: 3 });
    const size = readFileSync(path.join(FIXTURES, 'alpaca.json')).length;
    expect(ds).toMatchObject({
      name: '金融领域数据集', description: '金融领域专业问答数据集', filename: 'finance.json', file_format: 'json', record_format: 'alpaca',
      samples_count: 11, size_bytes: size, size_mb: Math.round((size / 1048576) * 100) / 100, created_at: '2024-03-08T15:20:00.000Z', owner_id: 3, processed: [],
      report: { records_total: 13, records_valid: 11, records_invalid: 1, duplicates: 1, formats: { alpaca: 11 }, issue_counts: { duplicate: 1, empty_text: 1 }, issues_truncated: 0 },
    });
    expect(ds.id).toMatch(/^ids_20240308_152000_[0-9a-f]{8}$/);
    expect((await service.getReport(ds.id)).issues).toEqual([
      { index: 4, code: 'duplicate', message: 'record 4 repeats the content of an earlier record' },
      { index: 7, code: 'empty_text', field: 'instruction', message: 'instruction is empty' },
    ]);
    expect(await service.list()).toEqual([ds]);
  });

  test('ShareGPT JSON Lines picked by the .jsonl name: bad JSON by line, the Alpaca minority reported', async () => {
    const { service } = setup();
    const ds = await service.upload({ body: fixture('sharegpt.jsonl'), filename: 'chat.jsonl', name: 'chat' });
    expect([ds.file_format, ds.record_format, ds.samples_count]).toEqual(['jsonl', 'sharegpt', 9]);
    expect((await service.getReport(ds.id)).issues).toEqual([
      { index: 2, line: 3, code: 'bad_json', message: expect.stringMatching(/^line 3 is not valid JSON/) },
      { index: 6, line: 7, code: 'mixed_format', message: 'record 6 is alpaca but most records of this file are sharegpt' },
    ]);
  });

  test('CSV by the format field over the file name; a row without output is reported with its line', async () => {
    const { service } = setup();
    const ds = await service.upload({ body: fixture('alpaca.csv'), filename: 'data.txt', format: 'CSV', name: 'csv' });
    expect([ds.file_format, ds.record_format, ds.samples_count]).toEqual(['csv', 'alpaca', 6]);
    expect((await service.getReport(ds.id)).issues).toEqual([{ index: 6, line: 8, code: 'empty_text', field: 'output', message: 'output is empty' }]);
  });

  test.each([
    { name: 'no valid record', body: '[{"question": "q"}, {"instruction": "", "output": "a"}]', want: /no valid records \(none of its 2 records is usable: record has none of instruction\/output.*; instruction is empty\)/ },
    { name: 'an empty array', body: '[]', want: /no valid records \(the file holds no records\)/ },
    { name: 'an empty file', body: '', want: /the uploaded file is empty \(0 bytes\)/ },
    { name: 'a top-level object', body: '{"data": []}', want: /found an object/ },
  ])('$name is a ValidationError and leaves nothing stored', async ({ body, want }) => {
    const { service, blobs } = setup();
    await expect(service.upload({ body: Readable.from([Buffer.from(body)]), filename: 'x.json', name: 'x' })).rejects.toThrow(want);
    await expect(service.upload({ body: Readable.from([Buffer.from(body)]), filename: 'x.json', name: 'x' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await blobs.list('')).toEqual([]);
    expect(await service.list()).toEqual([]);
  });

  test('an upload over the byte cap is TOO_LARGE and leaves nothing stored', async () => {
    const { service, blobs } = setup({ maxUploadBytes: 100 });
    await expect(service.upload({ body: fixture('alpaca.json'), filename: 'a.json', name: 'a' })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await blobs.list('')).toEqual([]);
  });

  test.each([
    { given: { name: '' }, want: /name must not be empty/ },
    { given: { name: undefined }, want: /name is required/ },
    { given: { name: 'a', format: 'xml' }, want: /format must be json, jsonl or csv, got "xml"/ },
    { given: { name: 'a', format: ['json'] }, want: /format must be a string/ },
    { given: { name: 7 }, want: /name must be a string/ },
  ])('refuses $given before storing anything', async ({ given, want }) => {
    const { service, blobs } = setup();
    await expect(service.upload({ body: fixture('alpaca.json'), ...(given as { name: string }) })).rejects.toThrow(want);
    expect(await blobs.list('')).toEqual([]);
  });
});

describe('process', () => {
  test('an Alpaca upload: seed 003 answer, golden split files and dataset_info.json, a completed task', async () => {
    const { service, blobs } = setup();
    const ds = await service.upload({ body: fixture('alpaca.json'), filename: 'finance.json', name: 'fin' });
    const result = await service.process({ datasetId: ds.id, outputName: 'finance_processed' });
    const out = `instructions/${ds.id}/processed/finance_processed`;
    expect(result).toEqual({
      task_id: expect.stringMatching(/^task_/), status: 'completed', dataset_id: ds.id, output_path: out,
      splits: { train: 9, validation: 1, test: 1 }, message: '数据集处理完成', processed_at: '2024-03-08T15:20:00.000Z',
    });
    expect(await blobs.list(out)).toEqual(['dataset_info.json', 'test.jsonl', 'train.jsonl', 'validation.jsonl'].map((f) => `${out}/${f}`));
    for (const file of ['train.jsonl', 'validation.jsonl', 'test.jsonl', 'dataset_info.json']) {
      await expect(await text(blobs, `${out}/${file}`)).toMatchFileSnapshot(`./__fixtures__/golden/alpaca/${file}`);
    }
    expect(await service.getTask(result.task_id)).toMatchObject({ status: 'completed', progress: 100, dataset_id: ds.id, output_name: 'finance_processed', finished_at: result.processed_at, result });
    expect((await service.get(ds.id)).processed).toEqual([expect.objectContaining({ output_name: 'finance_processed', splits: result.splits, seed: 42, task_id: result.task_id })]);
  });

  test('ShareGPT JSON Lines with a custom template: conversations kept, text from the last exchange', async () => {
    const { service, blobs } = setup();
    const ds = await service.upload({ body: fixture('sharegpt.jsonl'), filename: 'chat.jsonl', name: 'chat' });
    const result = await service.process({ datasetId: ds.id, outputName: 'chat', trainRatio: 0.7, valRatio: 0.3, testRatio: 0, template: '<s>{system}</s> Q: {instruction} A: {response}' });
    expect(result.splits).toEqual({ train: 6, validation: 3, test: 0 });
    const out = `instructions/${ds.id}/processed/chat`;
    expect(await blobs.list(out)).toEqual(['dataset_info.json', 'train.jsonl', 'validation.jsonl'].map((f) => `${out}/${f}`));
    for (const file of ['train.jsonl', 'validation.jsonl', 'dataset_info.json']) {
      await expect(await text(blobs, `${out}/${file}`)).toMatchFileSnapshot(`./__fixtures__/golden/sharegpt/${file}`);
    }
  });

  test('the same upload and seed give byte-identical files; another seed moves records between splits', async () => {
    const { service, blobs } = setup();
    const ds = await service.upload({ body: fixture('alpaca.json'), filename: 'a.json', name: 'a' });
    const files = async (output: string) => Promise.all(['train', 'validation', 'test'].map((s) => text(blobs, `instructions/${ds.id}/processed/${output}/${s}.jsonl`)));
    await service.process({ datasetId: ds.id, outputName: 'one' });
    await service.process({ datasetId: ds.id, outputName: 'two' });
    await service.process({ datasetId: ds.id, outputName: 'three', seed: 7 });
    expect(await files('two')).toEqual(await files('one'));
    expect(await files('three')).not.toEqual(await files('one'));
    const lines = (parts: string[]) => parts.join('').split('\n').filter(Boolean).sort();
    expect(lines(await files('three'))).toEqual(lines(await files('one')));
  });

  test('processing the same output name again replaces it, and the dataset lists it once', async () => {
    const { service, blobs } = setup();
    const ds = await service.upload({ body: fixture('alpaca.csv'), filename: 'a.csv', name: 'a' });
    await service.process({ datasetId: ds.id, outputName: 'out' });
    const second = await service.process({ datasetId: ds.id, outputName: 'out', trainRatio: 1, valRatio: 0, testRatio: 0 });
    expect(second.splits).toEqual({ train: 6, validation: 0, test: 0 });
    expect(await blobs.list(`instructions/${ds.id}/processed/out`)).toEqual([`instructions/${ds.id}/processed/out/dataset_info.json`, `instructions/${ds.id}/processed/out/train.jsonl`]);
    expect((await service.get(ds.id)).processed.map((p) => [p.output_name, p.task_id])).toEqual([['out', second.task_id]]);
    expect(await service.listTasks({ datasetId: ds.id })).toHaveLength(2);
  });

  test.each([
    { given: { outputName: '../escape' }, want: /output_name "..\/escape" must be 1–128 letters/ },
    { given: { outputName: 'a/b' }, want: /output_name "a\/b" must be/ },
    { given: { outputName: '.staging-x' }, want: /output_name ".staging-x" must be/ },
    { given: { outputName: '' }, want: /output_name must be a non-empty string/ },
    { given: { outputName: 'ok', template: '### {question}' }, want: /template placeholder \{question\} is not a record field/ },
    { given: { outputName: 'ok', trainRatio: 0 }, want: /train ratio must be in \(0, 1\]/ },
    { given: { outputName: 'ok', seed: 0.5 }, want: /seed must be an integer/ },
  ])('refuses $given with a ValidationError and records no task', async ({ given, want }) => {
    const { service } = setup();
    const ds = await service.upload({ body: fixture('alpaca.csv'), filename: 'a.csv', name: 'a' });
    await expect(service.process({ datasetId: ds.id, ...given })).rejects.toThrow(want);
    expect(await service.listTasks()).toEqual([]);
  });

  test('an unknown dataset is NOT_FOUND', async () => {
    const { service } = setup();
    await expect(service.process({ datasetId: 'ids_missing', outputName: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('a second run of the same output while the first runs is a CONFLICT; delete waits for neither', async () => {
    const { service } = setup();
    const ds = await service.upload({ body: fixture('alpaca.json'), filename: 'a.json', name: 'a' });
    const first = await service.startProcess({ datasetId: ds.id, outputName: 'out' });
    expect(first.task).toMatchObject({ status: 'running', progress: 0 });
    await expect(service.process({ datasetId: ds.id, outputName: 'out' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(service.delete(ds.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await first.done;
    await service.delete(ds.id);
    await expect(service.get(ds.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('a run whose stored upload vanished ends failed, with the reason on its task', async () => {
    const { service, blobs } = setup();
    const ds = await service.upload({ body: fixture('alpaca.json'), filename: 'a.json', name: 'a' });
    await blobs.delete(ds.blob_key);
    const { task, done } = await service.startProcess({ datasetId: ds.id, outputName: 'out' });
    await expect(done).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await service.getTask(task.task_id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/blob not found/), finished_at: '2024-03-08T15:20:00.000Z' });
    expect(await blobs.list(`instructions/${ds.id}`)).toEqual([`instructions/${ds.id}/report.json`]);
  });

  test('recoverOnStart fails the runs a stopped server left running', async () => {
    const { service, tasks } = setup();
    await tasks.create({ task_id: 'task_old', kind: 'dataset_process', dataset_id: 'ids_a', output_name: 'o', status: 'running', progress: 40, created_at: 'x', updated_at: 'x', owner_id: null });
    expect(await service.recoverOnStart()).toBe(1);
    expect(await service.getTask('task_old')).toMatchObject({ status: 'failed', error: 'the server stopped while this task ran' });
  });

  test('on the filesystem store: absolute paths, files in the data root, nothing staged left behind', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'yoloops-instructions-'));
    dirs.push(root);
    const { service } = setup({ blobs: createFsBlobStore(root) });
    const ds = await service.upload({ body: fixture('alpaca.json'), filename: '../../evil.json', name: 'a' });
    expect(ds.filename).toBe('evil.json');
    expect(ds.path).toBe(path.join(root, 'instructions', ds.id, 'source.json'));
    const result = await service.process({ datasetId: ds.id, outputName: 'fin' });
    expect(result.output_path).toBe(path.join(root, 'instructions', ds.id, 'processed', 'fin'));
    const info = JSON.parse(readFileSync(path.join(result.output_path, 'dataset_info.json'), 'utf8')) as Record<string, { file_name: string }>;
    expect(Object.keys(info)).toEqual(['fin_train', 'fin_validation', 'fin_test']);
    expect(readFileSync(path.join(result.output_path, info.fin_train!.file_name), 'utf8').split('\n').filter(Boolean)).toHaveLength(9);
    expect(readFileSync(path.join(FIXTURES, 'golden/alpaca/train.jsonl'), 'utf8')).toBe(readFileSync(path.join(result.output_path, 'train.jsonl'), 'utf8'));
  });
});
