#!/usr/bin/env node
import { startServer } from './start-server.js';

const USAGE = `usage: yoloops serve [--port N] [--host H] [--data DIR]
  env: PORT (default 8000), HOST (default 0.0.0.0), YOLOOPS_DATA_DIR (default ./data),
       YOLOOPS_MAX_UPLOAD_BYTES (default 21474836480 = 20 GiB), YOLOOPS_MAX_IMAGE_PIXELS (default 40000000),
       YOLOOPS_IMAGE_CHECK (structure | decode; default structure),
       YOLOOPS_INFERENCE_THREADS (threads a model's runs use at once; default: all cores),
       YOLOOPS_INFERENCE_PARALLEL_RUNS (parallel sessions per model for batches and video; default 2, 4 from 8 cores; 0: one session),
       YOLOOPS_INFERENCE_PROVIDERS (onnxruntime execution providers, comma-separated, e.g. cuda; default cpu)`;

function imageCheckEnv(): 'structure' | 'decode' | undefined {
  const value = process.env.YOLOOPS_IMAGE_CHECK;
  if (value === undefined || value === '') return undefined;
  if (value === 'structure' || value === 'decode') return value;
  throw new Error(`YOLOOPS_IMAGE_CHECK must be "structure" or "decode", got "${value}"`);
}

function integerEnv(name: string, min: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be ${min === 1 ? 'a positive' : 'a non-negative'} integer, got "${raw}"`);
  return value;
}

const positiveEnv = (name: string) => integerEnv(name, 1);

function inferenceEnv(): { intraOpNumThreads?: number; parallelRuns?: number; executionProviders?: string[] } {
  const threads = positiveEnv('YOLOOPS_INFERENCE_THREADS');
  const parallel = integerEnv('YOLOOPS_INFERENCE_PARALLEL_RUNS', 0);
  const providers = (process.env.YOLOOPS_INFERENCE_PROVIDERS ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const bad = providers.find((p) => !/^[a-z][a-z0-9_-]*$/i.test(p));
  if (bad !== undefined) throw new Error(`YOLOOPS_INFERENCE_PROVIDERS must list onnxruntime execution providers (e.g. cuda), got "${bad}"`);
  return {
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
    ...(parallel === undefined ? {} : { parallelRuns: parallel }),
    ...(providers.length === 0 ? {} : { executionProviders: providers }),
  };
}

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
  const maxUploadBytes = positiveEnv('YOLOOPS_MAX_UPLOAD_BYTES');
  const running = await startServer({
    port,
    host: flag(args, '--host') ?? process.env.HOST ?? '0.0.0.0',
    dataDir: flag(args, '--data') ?? process.env.YOLOOPS_DATA_DIR ?? './data',
    limits: maxUploadBytes === undefined ? {} : { maxUploadBytes },
    maxImagePixels: positiveEnv('YOLOOPS_MAX_IMAGE_PIXELS'),
    imageCheck: imageCheckEnv(),
    inference: inferenceEnv(),
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
