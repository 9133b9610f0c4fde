#!/usr/bin/env node
import { startServer } from './start-server.js';

const USAGE = `usage: yoloops serve [--port N] [--host H] [--data DIR]
  env: PORT (default 8000), HOST (default 0.0.0.0), YOLOOPS_DATA_DIR (default ./data)`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  if (args[0] !== 'serve') {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const port = Number(flag(args, '--port') ?? process.env.PORT ?? 8000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${port}`);
  const running = await startServer({
    port,
    host: flag(args, '--host') ?? process.env.HOST ?? '0.0.0.0',
    dataDir: flag(args, '--data') ?? process.env.YOLOOPS_DATA_DIR ?? './data',
  });
  console.log(`yoloops listening on ${running.url.replace('127.0.0.1', 'localhost')} (docs: /docs)`);
  const stop = () => {
    running.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
