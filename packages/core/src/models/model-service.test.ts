import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../test/support/fixtures.js';
import { createMemoryBlobStore } from '../adapters/memory/memory-blob-store.js';
import { createMemoryModelStore } from '../adapters/memory/memory-model-store.js';
import { describeModelStoreContract } from '../../test/support/contracts/model-store.contract.js';
import { systemClock } from '../platform/clock.port.js';
import { createModelService } from './model-service.js';

describeModelStoreContract('memory', () => createMemoryModelStore());

function setup() {
  const blobs = createMemoryBlobStore();
  return { blobs, service: createModelService({ models: createMemoryModelStore(), blobs, clock: systemClock }) };
}

describe('createModelService', () => {
  test('registers the real fixture ONNX with its size and sha256, ONNX as the main weights', async () => {
    const { service, blobs } = setup();
    const onnx = readFileSync(fixturePath('models/yolov8n_int8.onnx'));
    const model = await service.register({ task: 'detect', source: 'trained', classes: ['person'], job_id: 'job_1', weights: [{ filename: 'best.pt', body: Buffer.from('pt') }, { filename: 'best.onnx', body: onnx }] });
    expect(model.weights.find((w) => w.format === 'onnx')).toEqual({ file: 'best.onnx', format: 'onnx', size: onnx.length, sha256: '83de8f0d2cd521e00ae2b138c340a03dece35b060b3898509bdc69afff417312' });
    expect(model.weights_path).toBe(`models/${model.model_id}/weights/best.onnx`);
    expect(model.file_size).toBe(onnx.length + 2);
    expect((await blobs.readBytes(service.weightsKey(model))).equals(onnx)).toBe(true);
    expect((await service.findByJob('job_1'))?.model_id).toBe(model.model_id);
  });

  test.each(['../x.onnx', 'a/b.pt', 'model.pkl', '.hidden.pt', 'x.onnx\u0000.pt'])('rejects the weights name %j and leaves nothing behind', async (filename) => {
    const { service, blobs } = setup();
    await expect(service.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename, body: Buffer.from('x') }] })).rejects.toMatchObject({ reason: 'invalid_weights_name' });
    expect(await blobs.list('')).toEqual([]);
    expect(await service.list()).toEqual([]);
  });

  test('update sets only non-null fields; delete removes the files; unknown ids are 404', async () => {
    const { service, blobs } = setup();
    const model = await service.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename: 'w.pt', body: Buffer.from('x') }] });
    const updated = await service.update(model.model_id, { name: 'n', description: null });
    expect(updated).toMatchObject({ name: 'n' });
    expect(updated.updated_at).toBeDefined();
    await service.delete(model.model_id);
    expect(await blobs.list('models')).toEqual([]);
    await expect(service.get(model.model_id)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Model not found' });
  });
});
