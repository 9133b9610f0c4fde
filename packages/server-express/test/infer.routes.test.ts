import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Detection, Model } from '@yoloops/core';
import { createDetector, probeVideo, type Detector } from '@yoloops/core/node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, unzipToMap } from '../../../test/support/fixtures.js';
import { makeTestVideo } from '../../core/test/support/video-fixtures.js';
import { attachmentFilename } from './support/http.js';
import { FIXTURE_ONNX, startPlatformServer, type PlatformServer } from './support/model-fixtures.js';

// Issue 4 acceptance: the same images give the same detections through the library, the single route,
// the batch route and the export session; the export ZIP matches the JSON; both video routes work.

const BUS = readFileSync(fixturePath('images/bus.jpg'));
const ZIDANE = readFileSync(fixturePath('images/zidane.jpg'));

let server: PlatformServer;
let model: Model;
let detector: Detector;
let tmp: string;

interface Part {
  name: string;
  value: string | Buffer;
  filename?: string;
  type?: string;
}

async function post(url: string, parts: Part[]): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const form = new FormData();
  for (const p of parts) {
    if (typeof p.value === 'string' && p.filename === undefined) form.append(p.name, p.value);
    else form.append(p.name, new Blob([p.value], { type: p.type ?? 'application/octet-stream' }), p.filename ?? 'file');
  }
  const res = await fetch(server.url + url, { method: 'POST', body: form });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** Parses `data: {...}` SSE lines as the origin frontend does. */
const sseEvents = (text: string) => text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as Record<string, any>);

const healthy = async () => expect((await fetch(`${server.url}/health`)).status).toBe(200);

beforeAll(async () => {
  server = await startPlatformServer();
  model = await server.platform.models.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename: 'yolov8n.onnx', body: FIXTURE_ONNX() }] });
  detector = await createDetector(fixturePath('models/yolov8n_int8.onnx'));
  tmp = mkdtempSync(path.join(tmpdir(), 'yoloops-infer-'));
}, 60_000);

afterAll(async () => {
  await detector?.close();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('image inference routes', () => {
  test('POST /infer/{model_id} gives what the library gives: sensible boxes inside the image', async () => {
    const res = await post(`/infer/${model.model_id}`, [{ name: 'file', value: BUS, filename: 'bus.jpg', type: 'image/jpeg' }]);
    expect(res.status).toBe(200);
    const library = await detector.detect(BUS);
    expect(res.json).toEqual({ model_id: model.model_id, detections: library.detections, image_width: 810, image_height: 1080 });
    const names = (res.json.detections as Detection[]).map((d) => d.class_name);
    expect(names).toContain('bus');
    expect(names.filter((n) => n === 'person').length).toBeGreaterThanOrEqual(3);
    for (const d of res.json.detections as Detection[]) {
      expect(d.conf).toBe(d.confidence);
      expect(d.x1).toBeGreaterThanOrEqual(0);
      expect(d.x2).toBeLessThanOrEqual(810);
      expect(d.y2).toBeLessThanOrEqual(1080);
      expect(d.x1).toBeLessThan(d.x2);
    }
  });

  test('a conf form field filters; a bad conf is a 400 naming it', async () => {
    const high = await post(`/infer/${model.model_id}`, [{ name: 'conf', value: '0.8' }, { name: 'file', value: BUS, filename: 'bus.jpg' }]);
    expect(high.status).toBe(200);
    expect((high.json.detections as Detection[]).every((d) => d.conf >= 0.8)).toBe(true);
    const bad = await post(`/infer/${model.model_id}`, [{ name: 'conf', value: '2' }, { name: 'file', value: BUS, filename: 'bus.jpg' }]);
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toMatch(/conf/);
  });

  test('POST /infer/batch/run nests per model → images in upload order; an unknown model gets an error, the others run', async () => {
    const res = await post('/infer/batch/run', [
      { name: 'model_ids', value: ` ${model.model_id}, model_unknown ,` },
      { name: 'files', value: BUS, filename: 'bus.jpg' },
      { name: 'files', value: ZIDANE, filename: 'zidane.jpg' },
    ]);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ total_models: 2, total_images: 2 });
    const [ours, unknown] = res.json.results;
    expect(unknown).toEqual({ model_id: 'model_unknown', error: 'Model not found', images: [] });
    expect(ours.model_id).toBe(model.model_id);
    expect(ours.classes).toHaveLength(80);
    const [bus, zidane] = [await detector.detect(BUS), await detector.detect(ZIDANE)];
    expect(ours.images).toEqual([
      { filename: 'bus.jpg', image_width: 810, image_height: 1080, detections: bus.detections, detection_count: bus.detections.length },
      { filename: 'zidane.jpg', image_width: 1280, image_height: 720, detections: zidane.detections, detection_count: zidane.detections.length },
    ]);
    expect(zidane.detections.map((d) => d.class_name)).toContain('tie');
  });

  test('batch without model_ids is a 400 with the origin\'s message; without files a 422', async () => {
    const none = await post('/infer/batch/run', [{ name: 'model_ids', value: ' , ' }, { name: 'files', value: BUS, filename: 'bus.jpg' }]);
    expect(none.status).toBe(400);
    expect(none.json.detail).toMatch(/至少需要选择一个模型/);
    const noFiles = await post('/infer/batch/run', [{ name: 'model_ids', value: model.model_id }]);
    expect(noFiles.status).toBe(422);
  });

  test('an export session saves annotated JPEGs, results.csv rows matching the JSON and metadata.json; its ZIP has them all', async () => {
    const res = await post(`/infer/${model.model_id}/export`, [{ name: 'files', value: BUS, filename: 'bus.jpg' }, { name: 'files', value: ZIDANE, filename: 'zidane.jpg' }]);
    expect(res.status).toBe(200);
    const { session_id: sessionId, results, session_dir: sessionDir } = res.json;
    expect(sessionId).toMatch(/^session_\d{8}_\d{6}_[0-9a-f]{8}$/);
    expect(results.map((r: any) => r.image_filename)).toEqual(['bus.jpg', 'zidane.jpg']);
    expect(results[0].detections).toEqual((await detector.detect(BUS)).detections);
    expect(sessionDir).toBe(path.join(server.platform.dataDir, 'inference_results', sessionId));

    const zipRes = await fetch(`${server.url}/infer/results/${sessionId}/export`);
    expect(zipRes.status).toBe(200);
    expect(attachmentFilename(zipRes.headers.get('content-disposition') ?? undefined)).toBe(`${sessionId}_results.zip`);
    const files = await unzipToMap(Buffer.from(await zipRes.arrayBuffer()));
    const uuids = results.map((r: any) => r.image_uuid);
    expect([...files.keys()].sort()).toEqual([...uuids.map((u: string) => `images/${u}.jpg`), 'metadata.json', 'results.csv'].sort());
    for (const [i, uuid] of uuids.entries()) {
      const meta = await sharp(files.get(`images/${uuid}.jpg`)!).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', results[i].image_width, results[i].image_height]);
    }
    const csv = files.get('results.csv')!.toString('utf8');
    const rows = csv.split('\r\n').filter(Boolean).map((l) => l.split(','));
    expect(rows[0]).toEqual(['image_uuid', 'image_filename', 'model_id', 'image_width', 'image_height', 'detection_count', 'detection_index', 'class_id', 'class_name', 'confidence', 'x1', 'y1', 'x2', 'y2']);
    const expected = results.flatMap((r: any) => r.detections.map((d: Detection, k: number) => [r.image_uuid, r.image_filename, model.model_id, r.image_width, r.image_height, r.detection_count, k, d.class_id, d.class_name, d.conf, d.x1, d.y1, d.x2, d.y2]));
    expect(rows.slice(1).map((row) => row.map((v, j) => (j >= 9 || [3, 4, 5, 6, 7].includes(j) ? Number(v) : v)))).toEqual(expected);
    const metadata = JSON.parse(files.get('metadata.json')!.toString());
    expect(metadata).toMatchObject({ session_id: sessionId, model_id: model.model_id, total_images: 2, total_detections: expected.length });
    // the annotated image is also served under /static, as in the origin
    expect((await fetch(`${server.url}/static/inference_results/${sessionId}/images/${uuids[0]}.jpg`)).status).toBe(200);
  });

  test('an unknown session is a 404; a bad session id a 400', async () => {
    expect((await fetch(`${server.url}/infer/results/session_nope/export`)).status).toBe(404);
    expect((await fetch(`${server.url}/infer/results/..%2F..%2Fetc/export`)).status).toBe(400);
  });

  test.each([
    ['non-image bytes', Buffer.from('this is not an image at all'), 'x.jpg', /image/i],
    ['a truncated JPEG', BUS.subarray(0, 4000), 'cut.jpg', /truncated|corrupt|premature|image/i],
    ['a 0-byte file', Buffer.alloc(0), 'empty.jpg', /empty|0 bytes/i],
    ['an SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'), 'x.svg', /svg/i],
  ])('%s is a 4xx naming the problem; the server stays healthy', async (_label, bytes, filename, message) => {
    const res = await post(`/infer/${model.model_id}`, [{ name: 'file', value: bytes, filename }]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.json.detail).toMatch(message);
    await healthy();
  });

  test('a pixel-flood PNG (declared 30000×30000) is refused without decoding it', async () => {
    const small = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer();
    const flood = Buffer.from(small);
    flood.writeUInt32BE(30000, 16);
    flood.writeUInt32BE(30000, 20);
    const started = Date.now();
    const res = await post(`/infer/${model.model_id}`, [{ name: 'file', value: flood, filename: 'flood.png' }]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.json.detail).toMatch(/pixel|large|dimension/i);
    expect(Date.now() - started).toBeLessThan(5000);
    await healthy();
  });

  test('a batch with one bad image fails as a whole (as the origin) and names the file', async () => {
    const res = await post('/infer/batch/run', [{ name: 'model_ids', value: model.model_id }, { name: 'files', value: BUS, filename: 'bus.jpg' }, { name: 'files', value: Buffer.from('nope'), filename: 'bad.jpg' }]);
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/bad\.jpg/);
  });

  test('a model with only .pt weights is a 415 saying what to do', async () => {
    const pt = await server.platform.models.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename: 'best.pt', body: Buffer.from('opaque') }] });
    const res = await post(`/infer/${pt.model_id}`, [{ name: 'file', value: BUS, filename: 'bus.jpg' }]);
    expect(res.status).toBe(415);
    expect(res.json.detail).toMatch(/ONNX/);
  });
});

describe('video inference routes (real ffmpeg)', () => {
  let video: string;
  beforeAll(async () => {
    video = await makeTestVideo(tmp, { frames: 6, fps: 6 });
  }, 60_000);

  test('POST /infer/video/{model_id}: a playable H.264 MP4 with every frame, video_info and summary', async () => {
    const res = await post(`/infer/video/${model.model_id}`, [{ name: 'file', value: readFileSync(video), filename: 'clip.mp4', type: 'video/mp4' }, { name: 'conf', value: '0.25' }]);
    expect(res.status).toBe(200);
    expect(res.json.video_info).toEqual({ fps: 6, width: 640, height: 480, total_frames: 6, processed_frames: 6 });
    expect(res.json.summary.frames_with_detections).toBe(6);
    expect(res.json.summary.total_detections).toBeGreaterThanOrEqual(12);
    const out = path.join(tmp, 'annotated.mp4');
    writeFileSync(out, Buffer.from(res.json.video_data, 'base64'));
    const info = await probeVideo(out);
    expect(info).toMatchObject({ codec: 'h264', width: 640, height: 480, total_frames: 6 });
    expect(await server.platform.blobs.list('tmp')).toEqual([]);
  }, 60_000);

  test('POST /infer/video/{model_id}/stream: info, every frame (JPEG, truncated bboxes), complete', async () => {
    // a shell-looking file name is only ever a name (argv arrays, no shell; the stored name is server-made)
    const marker = path.join(tmp, 'pwned');
    const res = await post(`/infer/video/${model.model_id}/stream`, [{ name: 'file', value: readFileSync(video), filename: `$(touch ${marker}).mp4` }]);
    expect(existsSync(marker)).toBe(false);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = sseEvents(res.text);
    expect(events[0]).toEqual({ type: 'info', fps: 6, width: 640, height: 480, total_frames: 6 });
    const frames = events.filter((e) => e.type === 'frame');
    expect(frames.map((f) => f.frame_number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.at(-1)).toEqual({ type: 'complete', processed_frames: 6 });
    for (const frame of frames) {
      const meta = await sharp(Buffer.from(frame.frame_data, 'base64')).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, 480]);
      expect(frame.detections.length).toBeGreaterThan(0);
      for (const d of frame.detections) {
        expect(Object.keys(d).sort()).toEqual(['bbox', 'class_id', 'class_name', 'conf']);
        expect(d.bbox.every((v: number) => Number.isInteger(v))).toBe(true);
      }
    }
    // frames alternate bus / zidane: the bus shows up in the odd frames
    expect(frames[0]!.detections.map((d: any) => d.class_name)).toContain('bus');
  }, 60_000);

  test('a non-video is a 400 (full route) and an {error} event (stream route); the server stays healthy', async () => {
    const full = await post(`/infer/video/${model.model_id}`, [{ name: 'file', value: Buffer.from('not a video'), filename: 'x.mp4' }]);
    expect(full.status).toBe(400);
    expect(full.json.detail).toMatch(/video/i);
    const stream = await post(`/infer/video/${model.model_id}/stream`, [{ name: 'file', value: Buffer.from('not a video'), filename: 'x.mp4' }]);
    expect(stream.status).toBe(200);
    expect(sseEvents(stream.text)).toEqual([{ error: expect.stringMatching(/video/i) }]);
    await healthy();
  });

  test('without ffmpeg the full route is a 503 naming the program', async () => {
    const saved = process.env.YOLOOPS_FFMPEG;
    process.env.YOLOOPS_FFMPEG = path.join(tmp, 'no-such-ffmpeg');
    try {
      const res = await post(`/infer/video/${model.model_id}`, [{ name: 'file', value: readFileSync(video), filename: 'clip.mp4' }]);
      expect(res.status).toBe(503);
      expect(res.json.detail).toMatch(/ffmpeg/);
    } finally {
      if (saved === undefined) delete process.env.YOLOOPS_FFMPEG;
      else process.env.YOLOOPS_FFMPEG = saved;
    }
  });
});
