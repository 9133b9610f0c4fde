import { Readable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { createMemoryLogBus } from '../adapters/memory/memory-log-bus.js';
import { createJobWorld } from '../../test/support/job-test-kit.js';
import { jobKeys } from './job-paths.js';
import { readLogChunk } from './job-logs.js';
import type { RunFileSink } from './agent-uploads.js';
import type { LogBusMessage } from './log-bus.port.js';

const A = '9f1c2b3a4d5e6f708192a3b4c5d6e7f8';

let world: Awaited<ReturnType<typeof createJobWorld>>;
afterEach(async () => world.cleanup());

/** A job service with a shared in-process bus and an external job A moved on to `attempt`. */
async function open(attempt = 1, maxCheckpointBytes?: number) {
  world = await createJobWorld({ sqlite: true });
  const logBus = createMemoryLogBus();
  const jobs = world.service({ logBus, ...(maxCheckpointBytes === undefined ? {} : { maxCheckpointBytes }) });
  await jobs.reportStatus(A, { statusType: 2 });
  if (attempt > 1) await world.jobs.update(A, { attempt });
  const heard: LogBusMessage[] = [];
  await logBus.subscribe(A, (message) => heard.push(message));
  const log = async () => (await world.blobs.stat(jobKeys(A).log)) ? (await world.blobs.readBytes(jobKeys(A).log)).toString() : '';
  return { jobs, heard, log };
}

describe('appendLogs: shipped trainer output', () => {
  test('appends cleaned lines in order, once per (attempt, seq), and announces each append with its byte range', async () => {
    const { jobs, heard, log } = await open();
    expect(await jobs.appendLogs(A, { attempt: 1, seq: 1, lines: ['Epoch 1/3', 'bar 10%\rbar 100%', '\u0000loss 0.5  ', ''] })).toMatchObject({ stored: true, lines: 4 });
    expect(await jobs.appendLogs(A, { attempt: 1, seq: 1, lines: ['Epoch 1/3'] })).toMatchObject({ stored: false, note: 'already stored: batch 1 of attempt 1' });
    expect(await jobs.appendLogs(A, { attempt: 1, seq: 2, lines: ['Epoch 2/3\r\n'] })).toMatchObject({ stored: true, lines: 1 });
    expect(await log()).toBe('Epoch 1/3\nbar 10%\nbar 100%\nloss 0.5\nEpoch 2/3\n');
    expect(heard).toEqual([
      { attempt: 1, lines: ['Epoch 1/3', 'bar 10%', 'bar 100%', 'loss 0.5'], offset: 0, end: 36 },
      { attempt: 1, lines: ['Epoch 2/3'], offset: 36, end: 46 },
    ]);
    // What the bus said is exactly what a reader of the stored log finds at that offset.
    const chunk = await readLogChunk(world.blobs, jobKeys(A).log, 36);
    expect(chunk).toMatchObject({ lines: ['Epoch 2/3'], offset: 46 });
  });

  test('concurrent batches of one job are appended whole, one after the other', async () => {
    const { jobs, log } = await open();
    await Promise.all(Array.from({ length: 20 }, (_, i) => jobs.appendLogs(A, { attempt: 1, seq: i + 1, lines: [`line ${i + 1}`] })));
    const lines = (await log()).trim().split('\n');
    expect(lines).toHaveLength(20);
    expect(new Set(lines).size).toBe(20);
  });

  test('an older attempt is acknowledged and ignored; a newer attempt starts its own batch count; ahead of the job is refused', async () => {
    const { jobs, log } = await open(2);
    expect(await jobs.appendLogs(A, { attempt: 1, seq: 9, lines: ['late line of a killed worker'] })).toMatchObject({ stored: false, note: 'ignored: upload from attempt 1, the job is on attempt 2' });
    expect(await jobs.appendLogs(A, { attempt: 2, seq: 1, lines: ['attempt 2 line'] })).toMatchObject({ stored: true });
    await world.jobs.update(A, { attempt: 3 });
    expect(await jobs.appendLogs(A, { attempt: 3, seq: 1, lines: ['attempt 3 line'] })).toMatchObject({ stored: true });
    await expect(jobs.appendLogs(A, { attempt: 4, seq: 1, lines: ['x'] })).rejects.toMatchObject({ code: 'INVALID_STATE', reason: 'attempt_ahead' });
    expect(await log()).toBe('attempt 2 line\nattempt 3 line\n');
  });

  test('bad batches name the problem; an unknown job is NOT_FOUND', async () => {
    const { jobs } = await open();
    await expect(jobs.appendLogs(A, { attempt: 1, seq: 0, lines: [] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/seq must be a positive integer/) });
    await expect(jobs.appendLogs(A, { attempt: 1, seq: 1, lines: [42 as unknown as string] })).rejects.toMatchObject({ message: 'lines[0] must be a string' });
    await expect(jobs.appendLogs(A, { attempt: 1, seq: 1, lines: Array.from({ length: 2001 }, () => 'x') })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(jobs.appendLogs('job_20240101_000000_deadbeef', { attempt: 1, seq: 1, lines: ['x'] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('storeCheckpoint: weights/last.pt of a remote run', () => {
  const body = (text: string) => Readable.from([Buffer.from(text)]);
  const lastPt = async () => (await world.blobs.readBytes(jobKeys(A).lastPt)).toString();

  test('stores the current attempt\'s upload as last.pt, replacing the one before; an older attempt\'s is drained and ignored', async () => {
    const { jobs } = await open(2);
    expect(await jobs.storeCheckpoint(A, 2, body('weights after epoch 3'))).toEqual({ stored: true, size: 21, note: 'ok' });
    expect(await jobs.storeCheckpoint(A, 2, body('weights after epoch 4'))).toMatchObject({ stored: true });
    const stale = body('weights of the killed worker');
    expect(await jobs.storeCheckpoint(A, 1, stale)).toEqual({ stored: false, size: 0, note: 'ignored: upload from attempt 1, the job is on attempt 2' });
    expect(stale.readableEnded || stale.readableFlowing).toBeTruthy();
    expect(await lastPt()).toBe('weights after epoch 4');
    expect((await world.blobs.list(jobKeys(A).dir)).filter((key) => key.includes('checkpoint-upload'))).toEqual([]);
  });

  test('a checkpoint over the cap is TOO_LARGE and leaves the stored one whole', async () => {
    const { jobs } = await open(1, 16);
    await jobs.storeCheckpoint(A, 1, body('small weights'));
    await expect(jobs.storeCheckpoint(A, 1, body('x'.repeat(17)))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await lastPt()).toBe('small weights');
    expect((await world.blobs.list(jobKeys(A).dir)).filter((key) => key.includes('checkpoint-upload'))).toEqual([]);
  });

  test('a resume while the bytes arrive makes the upload stale: it is not stored', async () => {
    const { jobs } = await open();
    const slow = new Readable({ read() {} });
    const upload = jobs.storeCheckpoint(A, 1, slow);
    slow.push('old attempt weights');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await world.jobs.update(A, { attempt: 2 });
    slow.push(null);
    expect(await upload).toMatchObject({ stored: false, note: 'ignored: upload from attempt 1, the job is on attempt 2' });
    expect(await world.blobs.stat(jobKeys(A).lastPt)).toBeUndefined();
  });
});

describe('storeRunFiles: a fine-tune run from a remote worker', () => {
  const F = 'job_20240115_120000_ab12cd34';
  const run = jobKeys(F).run;
  const file = (text: string) => Readable.from([Buffer.from(text)]);
  /** A part whose bytes break off: the client went away mid-file. */
  const broken = () => new Readable({ read() { this.push('half a shard'); this.destroy(new Error('connection reset')); } });
  const drained = (body: Readable) => body.readableEnded || body.readableFlowing === true || body.destroyed;
  /** What the multipart route does: each part to the sink in body order; after a refused one the rest are drained. */
  const sending = (parts: Array<[string, Readable]>, after?: () => Promise<unknown>) => async (sink: RunFileSink) => {
    for (const [i, [name, body]] of parts.entries()) {
      try {
        await sink(name, body);
      } catch (error) {
        for (const [, rest] of parts.slice(i + 1)) rest.resume();
        throw error;
      }
    }
    await after?.();
  };
  const stored = () => world.blobs.list(run);
  const text = async (key: string) => (await world.blobs.readBytes(key)).toString();
  const scratch = () => world.blobs.list(`${jobKeys(F).dir}/run-upload`);

  /** A job service with a running llm-finetune job F on `attempt` (a remote worker's) and the external detector job A. */
  async function openFinetune(attempt = 1, maxRunFileBytes?: number) {
    world = await createJobWorld({ sqlite: true });
    const jobs = world.service({ logBus: createMemoryLogBus(), ...(maxRunFileBytes === undefined ? {} : { maxRunFileBytes }) });
    await jobs.reportStatus(A, { statusType: 2 });
    await world.jobs.create({
      job_id: F, kind: 'llm-finetune', dataset_id: 'ids_1', version: '', model_name: 'tiny-lora', base_model_id: null, original_model_path: 'org/tiny',
      epochs: 3, imgsz: 0, batch: 8, status: 'running', created_at: '2024-01-15T12:00:00.000Z', log_file: world.blobs.localPath(jobKeys(F).log),
      run_dir: world.blobs.localPath(run), attempt, command: [], worker_id: 'gpu-box-1',
      llm: {
        base_model: 'tiny', model_name_or_path: 'org/tiny', template: 'llama3', finetuning_type: 'lora', quantization_bit: null, lora_rank: 4, lora_alpha: 8,
        lora_dropout: 0.05, lora_target: 'all', learning_rate: 3e-5, per_device_train_batch_size: 8, gradient_accumulation_steps: 1, num_train_epochs: 3,
        cutoff_len: 512, logging_steps: 1, save_steps: 20, dataset_dir: world.blobs.localPath('instructions/ids_1/processed/v1'), dataset: ['ids_1_train'],
      },
    });
    return jobs;
  }

  test('a checkpoint-N upload lands whole as that folder; a newer one replaces the older uploaded checkpoints', async () => {
    const jobs = await openFinetune();
    const first = sending([['adapter_model.safetensors', file('lora weights 20')], ['optimizer.pt', file('adam state')], ['trainer_state.json', file('{"global_step":20}')]]);
    expect(await jobs.storeRunFiles(F, 1, 'checkpoint-20', first)).toEqual({ stored: true, files: 3, size: 15 + 10 + 18, note: 'ok' });
    expect(await stored()).toEqual([`${run}/checkpoint-20/adapter_model.safetensors`, `${run}/checkpoint-20/optimizer.pt`, `${run}/checkpoint-20/trainer_state.json`]);
    expect(await text(`${run}/checkpoint-20/adapter_model.safetensors`)).toBe('lora weights 20');
    expect(await text(`${run}/checkpoint-20/optimizer.pt`)).toBe('adam state');
    expect(await text(`${run}/checkpoint-20/trainer_state.json`)).toBe('{"global_step":20}');

    const second = sending([['adapter_model.safetensors', file('lora weights 40')], ['trainer_state.json', file('{"global_step":40}')]]);
    expect(await jobs.storeRunFiles(F, 1, 'checkpoint-40', second)).toMatchObject({ stored: true, files: 2 });
    expect(await stored()).toEqual([`${run}/checkpoint-40/adapter_model.safetensors`, `${run}/checkpoint-40/trainer_state.json`]);
    expect(await text(`${run}/checkpoint-40/adapter_model.safetensors`)).toBe('lora weights 40');
    expect(await scratch()).toEqual([]);
  });

  test('dir "" stores the files at the run folder\'s top level, each one replacing the file of its name, checkpoints left alone', async () => {
    const jobs = await openFinetune();
    await jobs.storeRunFiles(F, 1, 'checkpoint-60', sending([['trainer_state.json', file('{"global_step":60}')]]));
    const outputs = sending([['adapter_model.safetensors', file('final lora')], ['adapter_config.json', file('{"r":4}')], ['all_results.json', file('{"train_loss":1.5}')]]);
    expect(await jobs.storeRunFiles(F, 1, '', outputs)).toEqual({ stored: true, files: 3, size: 10 + 7 + 18, note: 'ok' });
    expect(await jobs.storeRunFiles(F, 1, '', sending([['all_results.json', file('{"train_loss":1.25,"eval_loss":1.5}')]]))).toMatchObject({ stored: true, files: 1 });
    expect(await stored()).toEqual([
      `${run}/adapter_config.json`, `${run}/adapter_model.safetensors`, `${run}/all_results.json`, `${run}/checkpoint-60/trainer_state.json`,
    ]);
    expect(await text(`${run}/adapter_model.safetensors`)).toBe('final lora');
    expect(await text(`${run}/all_results.json`)).toBe('{"train_loss":1.25,"eval_loss":1.5}');
    expect(await scratch()).toEqual([]);
  });

  test('all or nothing: a part whose stream breaks fails the call and stores none of the upload', async () => {
    const jobs = await openFinetune();
    for (const dir of ['checkpoint-20', '']) {
      const parts: Array<[string, Readable]> = [['adapter_model.safetensors', file('lora weights')], ['optimizer.pt', broken()], ['trainer_state.json', file('{}')]];
      await expect(jobs.storeRunFiles(F, 1, dir, sending(parts))).rejects.toThrow('connection reset');
      expect(parts.every(([, body]) => drained(body))).toBe(true);
      expect(await stored()).toEqual([]);
      expect(await scratch()).toEqual([]);
    }
  });

  test('bad file names and folders are refused; every part is drained and nothing is written', async () => {
    const jobs = await openFinetune();
    const refused = async (dir: string, names: string[], reason: string) => {
      const parts = names.map((name, i): [string, Readable] => [name, file(`bytes ${i}`)]);
      await expect(jobs.storeRunFiles(F, 1, dir, sending(parts)), `${JSON.stringify(dir)} ${JSON.stringify(names)}`).rejects.toMatchObject({ code: 'INVALID_INPUT', reason });
      expect(parts.every(([, body]) => drained(body))).toBe(true);
      expect(await stored()).toEqual([]);
      expect(await scratch()).toEqual([]);
    };
    for (const bad of ['../x', '.hidden', 'a/b', '']) {
      await refused('checkpoint-20', ['adapter_model.safetensors', bad, 'trainer_state.json'], 'invalid_run_file_name');
      await refused('', ['adapter_model.safetensors', bad, 'trainer_state.json'], 'invalid_run_file_name');
    }
    await refused('checkpoint-20', ['adapter_model.safetensors', 'optimizer.pt', 'adapter_model.safetensors'], 'invalid_run_file_name');
    for (const dir of ['../x', 'checkpoint-', 'foo', 'checkpoint-20/', '/checkpoint-20']) await refused(dir, ['adapter_model.safetensors', 'trainer_state.json'], 'invalid_run_files_dir');
    await refused('checkpoint-20', [], 'no_run_files');
  });

  test('fenced by attempt: an older attempt\'s files are drained and ignored, one ahead is refused, a resume meanwhile makes them stale', async () => {
    const jobs = await openFinetune(2);
    const stale: Array<[string, Readable]> = [['adapter_model.safetensors', file('killed worker lora')], ['trainer_state.json', file('{}')]];
    expect(await jobs.storeRunFiles(F, 1, 'checkpoint-20', sending(stale))).toEqual({ stored: false, files: 0, size: 0, note: 'ignored: upload from attempt 1, the job is on attempt 2' });
    expect(stale.every(([, body]) => drained(body))).toBe(true);
    const ahead: Array<[string, Readable]> = [['adapter_model.safetensors', file('x')]];
    await expect(jobs.storeRunFiles(F, 3, '', sending(ahead))).rejects.toMatchObject({ code: 'INVALID_STATE', reason: 'attempt_ahead' });
    expect(drained(ahead[0]![1])).toBe(true);
    const zero: Array<[string, Readable]> = [['adapter_model.safetensors', file('x')]];
    await expect(jobs.storeRunFiles(F, 0, '', sending(zero))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/attempt must be a positive integer/) });
    expect(drained(zero[0]![1])).toBe(true);
    // The job moves on to attempt 3 while the parts arrive: the bytes were received, none is stored.
    const resumed = sending([['adapter_model.safetensors', file('attempt 2 lora')], ['trainer_state.json', file('{}')]], () => world.jobs.update(F, { attempt: 3 }));
    expect(await jobs.storeRunFiles(F, 2, 'checkpoint-40', resumed)).toEqual({ stored: false, files: 0, size: 0, note: 'ignored: upload from attempt 2, the job is on attempt 3' });
    expect(await stored()).toEqual([]);
    expect(await scratch()).toEqual([]);
  });

  test('a detector job\'s run files are refused (it uploads last.pt); an unknown job is NOT_FOUND; both drain the parts', async () => {
    const jobs = await openFinetune();
    const parts: Array<[string, Readable]> = [['adapter_model.safetensors', file('x')], ['trainer_state.json', file('{}')]];
    await expect(jobs.storeRunFiles(A, 1, 'checkpoint-20', sending(parts))).rejects.toMatchObject({ code: 'INVALID_STATE', reason: 'not_a_finetune' });
    expect(parts.every(([, body]) => drained(body))).toBe(true);
    expect(await world.blobs.list(jobKeys(A).dir)).toEqual([]);
    const unknown: Array<[string, Readable]> = [['adapter_model.safetensors', file('x')]];
    await expect(jobs.storeRunFiles('job_20240101_000000_deadbeef', 1, '', sending(unknown))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(drained(unknown[0]![1])).toBe(true);
  });

  test('a run file over the cap is TOO_LARGE and stores none of the upload; the cap is per file', async () => {
    const jobs = await openFinetune(1, 16);
    const parts: Array<[string, Readable]> = [['trainer_state.json', file('{}')], ['adapter_model.safetensors', file('x'.repeat(17))], ['optimizer.pt', file('adam')]];
    await expect(jobs.storeRunFiles(F, 1, 'checkpoint-20', sending(parts))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(parts.every(([, body]) => drained(body))).toBe(true);
    expect(await stored()).toEqual([]);
    expect(await scratch()).toEqual([]);
    expect(await jobs.storeRunFiles(F, 1, 'checkpoint-20', sending([['a.bin', file('x'.repeat(16))], ['b.bin', file('y'.repeat(16))]]))).toMatchObject({ stored: true, files: 2, size: 32 });
  });
});
