import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Clock, Model } from '@yoloops/core';
import { createNodePlatform, type NodePlatform, type NodePlatformOptions } from '@yoloops/core/node';
import { createApp, type CreateAppOptions } from '@yoloops/server-express';
import { fixturePath } from '../../../../test/support/fixtures.js';

/** The real app over a node platform on a temp data root, with the platform in reach for direct registration. */
export interface PlatformServer {
  url: string;
  dataDir: string;
  platform: NodePlatform;
  close(): Promise<void>;
}

/** A clock one second later at every reading, so records made in one test never share a timestamp. */
export function steppingClock(start = Date.UTC(2025, 0, 1)): Clock {
  let at = start;
  return { now: () => new Date((at += 1000)) };
}

/** `app`: createApp's security options (default: rate limits off — inference tests run past 60 a minute). */
export async function startPlatformServer(options: { clock?: Clock; inference?: NodePlatformOptions['inference']; accounts?: NodePlatformOptions['accounts']; app?: Omit<CreateAppOptions, 'services'> } = {}): Promise<PlatformServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-models-'));
  const platform = await createNodePlatform({ dataDir, clock: options.clock, ...(options.inference ? { inference: options.inference } : {}), ...(options.accounts ? { accounts: options.accounts } : {}) });
  const app = createApp({ services: platform, log: () => {}, rateLimits: false, ...options.app });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    platform,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      platform.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One Ultralytics 8.3 results.csv row (column names as written by the trainer), slowly improving with the epoch. */
export function ultralyticsEpoch(epoch: number): Record<string, number> {
  const f = epoch / 10;
  return {
    time: 12.5 * epoch,
    'train/box_loss': 1.5 - f, 'train/cls_loss': 2.5 - f, 'train/dfl_loss': 1.2 - f / 2,
    'metrics/precision(B)': 0.4 + f, 'metrics/recall(B)': 0.3 + f, 'metrics/mAP50(B)': 0.35 + f, 'metrics/mAP50-95(B)': 0.2 + f,
    'val/box_loss': 1.6 - f, 'val/cls_loss': 2.6 - f, 'val/dfl_loss': 1.3 - f / 2,
    'lr/pg0': 0.01, 'lr/pg1': 0.01, 'lr/pg2': 0.01,
  };
}

export const FIXTURE_ONNX = () => readFileSync(fixturePath('models/yolov8n_int8.onnx'));

/** Registers a trained model for `jobId` with the fixture ONNX weights and stores `epochs` epochs of metrics. */
export async function registerTrainedModel(platform: NodePlatform, jobId: string, epochs: number, extra: Partial<Pick<Model, 'name' | 'description' | 'tags'>> = {}): Promise<Model> {
  const model = await platform.models.register({
    task: 'detect', source: 'trained', job_id: jobId, classes: ['cat', 'dog'], base_model: 'yolov8n.pt', imgsz: 640, epochs,
    ...extra,
    weights: [{ filename: 'best.onnx', body: FIXTURE_ONNX() }],
  });
  for (let e = 1; e <= epochs; e++) {
    await platform.jobMetrics.upsertEpoch(jobId, e, ultralyticsEpoch(e), { attempt: 1, recorded_at: new Date(Date.UTC(2025, 0, 1, 0, e)).toISOString() });
  }
  return model;
}
