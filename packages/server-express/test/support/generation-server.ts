import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@yoloops/client';
import { createNodePlatform, type NodePlatform, type NodePlatformOptions } from '@yoloops/core/node';
import { createApp } from '@yoloops/server-express';
import { zipFiles } from '../../../../test/support/fixtures.js';
import { jsonInit, rawRequest, type RawResponse } from './http.js';

/** The real app on SQLite in a temp data root, with text generation configured as given. */
export interface GenerationServer {
  url: string;
  dataDir: string;
  platform: NodePlatform;
  client: ReturnType<typeof createClient>;
  /** POSTs JSON outside the typed client (for bodies it would not send, and headers). */
  post(path: string, body: unknown): Promise<RawResponse>;
  /** Registers a GGUF (and its model.json) through `POST /models/upload`; returns the model id. */
  uploadGguf(file: string, meta?: Record<string, unknown>): Promise<string>;
  /** `keepData`: leave the data root for a reopen. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export async function startGenerationServer(generation: NodePlatformOptions['generation'] = { llama: { threads: 1 } }, dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-generation-'))): Promise<GenerationServer> {
  const platform = await createNodePlatform({ dataDir, generation });
  const app = createApp({ services: platform, log: () => {}, rateLimits: false });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = createClient({ baseUrl: url });
  return {
    url, dataDir, platform, client,
    post: (p, body) => rawRequest(url, 'POST', p, jsonInit(body)),
    async uploadGguf(file, meta = {}) {
      const zip = await zipFiles({ 'model.json': JSON.stringify(meta), [`weights/${path.basename(file)}`]: readFileSync(file) });
      const model = await client.models.upload({ data: zip, filename: 'llm.zip' });
      return model.model_id;
    },
    async close(options = {}) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      platform.close();
      await platform.generation.close();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
