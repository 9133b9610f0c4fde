import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { startServer, type RunningServer } from '@yoloops/server-express';

export interface TestServer {
  dataDir: string;
  url: string;
  client: YoloopsClient;
  server: RunningServer;
  close(): Promise<void>;
}

/** Starts the real server on a fresh temp data root and port 0, with a client pointed at it. */
export async function startTestServer(options: { dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'yoloops-test-'));
  const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', rateLimits: false }); // tests poll past 120 requests a minute
  const client = createClient({ baseUrl: server.url });
  return {
    dataDir,
    url: server.url,
    client,
    server,
    async close() {
      await client.close();
      await server.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
