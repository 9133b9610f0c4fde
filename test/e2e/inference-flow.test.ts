import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, YoloopsApiError, type VideoStreamEvent, type YoloopsClient } from '@yoloops/client';
import { createDetector, createNodePlatform, probeVideo, type NodePlatform } from '@yoloops/core/node';
import { createApp } from '@yoloops/server-express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestVideo } from '../../packages/core/test/support/video-fixtures.js';
import { fixturePath, unzipToMap, zipFiles } from '../support/fixtures.js';

// Issue 4 through the typed client against the real server: a model ZIP in the origin's layout is
// uploaded, used for every inference route, exported and uploaded again.

const ONNX = fixturePath('models/yolov8n_int8.onnx');
const BUS = fixturePath('images/bus.jpg');
const ZIDANE = fixturePath('images/zidane.jpg');

let dir: string;
let platform: NodePlatform;
let server: Server;
let client: YoloopsClient;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-infer-e2e-'));
  platform = await createNodePlatform({ dataDir: path.join(dir, 'data') });
  server = await new Promise<Server>((resolve) => {
    const s = createApp({ services: platform, log: () => {}, rateLimits: false }).listen(0, '127.0.0.1', () => resolve(s));
  });
  client = createClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}, 60_000);

afterAll(async () => {
  await client?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  platform?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('inference through the typed client', () => {
  test('upload a model ZIP → detect, batch, export session, video (full and streamed) → export the model and upload it again', async () => {
    const zip = await zipFiles({ 'coco/model.json': JSON.stringify({ model_id: 'coco_v8n', name: 'COCO v8n' }), 'coco/weights/best.onnx': readFileSync(ONNX) });
    const model = await client.models.upload({ data: zip, filename: 'coco.zip' });
    expect(model).toMatchObject({ model_id: 'coco_v8n', name: 'COCO v8n', source: 'uploaded', model_info: { layout: 'v8', num_classes: 80 } });
    expect(model.classes[5]).toBe('bus');

    const detector = await createDetector(ONNX);
    const [bus, zidane] = [await detector.detect(readFileSync(BUS)), await detector.detect(readFileSync(ZIDANE))];
    await detector.close();

    const single = await client.inference.detect(model.model_id, BUS);
    expect(single.detections).toEqual(bus.detections);

    const batch = await client.inference.batch([model.model_id], [BUS, ZIDANE]);
    expect(batch.results[0]!.images.map((i) => i.detections)).toEqual([bus.detections, zidane.detections]);

    const session = await client.inference.exportSession(model.model_id, [BUS, ZIDANE]);
    expect(session.results.map((r) => r.detections)).toEqual([bus.detections, zidane.detections]);
    const files = await unzipToMap(await client.inference.downloadSession(session.session_id));
    expect(files.size).toBe(4);

    const strict = await client.inference.detect(model.model_id, BUS, { conf: 0.9 });
    expect(strict.detections.length).toBeLessThan(bus.detections.length);

    const video = await makeTestVideo(dir, { frames: 4, fps: 4 });
    const full = await client.inference.video(model.model_id, video);
    expect(full.video_info.processed_frames).toBe(4);
    writeFileSync(path.join(dir, 'out.mp4'), Buffer.from(full.video_data, 'base64'));
    expect(await probeVideo(path.join(dir, 'out.mp4'))).toMatchObject({ codec: 'h264', total_frames: 4 });

    const events: VideoStreamEvent[] = [];
    for await (const event of client.inference.videoStream(model.model_id, video)) events.push(event);
    expect(events.map((e) => e.type)).toEqual(['info', 'frame', 'frame', 'frame', 'frame', 'complete']);

    const exported = await client.models.export(model.model_id);
    const entries = await unzipToMap(exported);
    expect([...entries.keys()].sort()).toEqual(['coco_v8n/model.json', 'coco_v8n/weights/best.onnx']);
    const again = await client.models.upload({ data: exported, filename: 'coco_v8n.zip' });
    expect(again.model_id).not.toBe('coco_v8n');
    expect(again.weights[0]!.sha256).toBe(model.weights[0]!.sha256);
    expect((await client.inference.detect(again.model_id, BUS)).detections).toEqual(bus.detections);
  }, 120_000);

  test('a stream on a non-video throws the server\'s error; a corrupt ONNX upload is a 400 naming it', async () => {
    const models = await client.models.list();
    const modelId = models.models[0]!.model_id;
    const run = async () => {
      for await (const _ of client.inference.videoStream(modelId, { data: Buffer.from('nope'), filename: 'x.mp4' })) void _;
    };
    await expect(run()).rejects.toBeInstanceOf(YoloopsApiError);
    const corrupt = await zipFiles({ 'weights/best.onnx': readFileSync(ONNX).subarray(0, 10_000) });
    const error = await client.models.upload({ data: corrupt, filename: 'bad.zip' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(YoloopsApiError);
    expect((error as YoloopsApiError).status).toBe(400);
    expect((error as YoloopsApiError).detail).toMatch(/onnx/i);
    expect((await client.models.list()).models.length).toBe(models.models.length);
  }, 60_000);
});
