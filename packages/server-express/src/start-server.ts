import { createNodePlatform, type NodePlatformOptions } from '@yoloops/core/node';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';

export interface StartServerOptions extends NodePlatformOptions {
  port?: number;
  host?: string;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Opens the platform on `dataDir` (SQLite + files) and serves the app; `close()` stops both. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const platform = await createNodePlatform(options);
  const app = createApp({ services: platform });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 8000, options.host ?? '0.0.0.0', () => resolve(s));
    s.once('error', reject);
  });
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      platform.close();
    },
  };
}
