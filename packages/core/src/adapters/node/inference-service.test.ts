import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import { InvalidStateError } from '../../errors.js';
import { createModelService } from '../../models/model-service.js';
import { systemClock } from '../../platform/clock.port.js';
import { createMemoryModelStore } from '../memory/memory-model-store.js';
import { createDetectorCache, type DetectorCache } from './create-detector-cache.js';
import type { Detector } from './create-detector.js';
import { createFsBlobStore } from '../fs/fs-blob-store.js';
import { createInferenceService } from './inference-service.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-inference-service-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createInferenceService', () => {
  test('a detector closed under a request (model changed, cache full) is fetched again once', async () => {
    const blobs = createFsBlobStore(dir);
    const models = createModelService({ models: createMemoryModelStore(), blobs, clock: systemClock });
    const model = await models.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename: 'm.onnx', body: readFileSync(fixturePath('models/yolov8n_int8.onnx')) }] });
    const real = createDetectorCache();
    let gets = 0;
    // The first detector handed out was closed by an eviction before the request used it.
    const detectors: DetectorCache = {
      async get(modelId, source) {
        gets++;
        const detector = await real.get(modelId, source);
        if (gets > 1) return detector;
        const closed = () => Promise.reject(new InvalidStateError('the detector is closed', { reason: 'detector_closed' }));
        return { spec: detector.spec, parallelism: 1, detect: closed, detectBatch: closed, close: () => detector.close() } satisfies Detector;
      },
      evict: (id) => real.evict(id),
      close: () => real.close(),
    };
    const service = createInferenceService({ models, blobs, clock: systemClock, detectors });
    const result = await service.detect(model.model_id, { filename: 'bus.jpg', data: readFileSync(fixturePath('images/bus.jpg')) }, { conf: 0.25 });
    expect(result.detections.map((d) => d.class_name)).toContain('bus');
    expect(gets).toBe(2);
    await service.close();
  });

  test('admission: past maxConcurrentRequests a request is refused as busy (503 + Retry-After at the edge) until a slot is released', () => {
    const blobs = createFsBlobStore(dir);
    const service = createInferenceService({ models: createModelService({ models: createMemoryModelStore(), blobs, clock: systemClock }), blobs, clock: systemClock, maxConcurrentRequests: 2 });
    const a = service.admit();
    const b = service.admit();
    expect(() => service.admit()).toThrow(expect.objectContaining({ code: 'EXTERNAL_FAILURE', reason: 'busy', details: { retry_after_s: 1 } }));
    a();
    a(); // releasing twice frees one slot only
    const c = service.admit();
    expect(() => service.admit()).toThrow(/busy/);
    b();
    c();
  });
});
