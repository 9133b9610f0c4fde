#!/usr/bin/env node
import { imageCheckSetting, inferenceSettings, integerSetting, publicUrlSetting, trainingSettings } from './settings.js';
import { startServer } from './start-server.js';

const USAGE = `usage: yoloops serve [--port N] [--host H] [--data DIR]
  env: PORT (default 8000), HOST (default 0.0.0.0), YOLOOPS_DATA_DIR (default ./data),
       YOLOOPS_MAX_UPLOAD_BYTES (default 21474836480 = 20 GiB), YOLOOPS_MAX_IMAGE_PIXELS (default 40000000),
       YOLOOPS_IMAGE_CHECK (structure | decode; default structure),
       YOLOOPS_INFERENCE_THREADS (threads a model's runs use at once; default: all cores),
       YOLOOPS_INFERENCE_PARALLEL_RUNS (parallel sessions per model for batches and video; default 2, 4 from 8 cores; 0: one session),
       YOLOOPS_INFERENCE_PROVIDERS (onnxruntime execution providers, comma-separated, e.g. cuda; default cpu),
       YOLOOPS_PUBLIC_URL (base URL trainer agents report to; default the address and port bound),
       YOLOOPS_TRAINER_COMMAND (the trainer: a program, e.g. /opt/venv/bin/yolo, or a whole command line / JSON argv
         with {data} {model} {epochs} {imgsz} {batch} {project} {name}; default yolo detect train …),
       YOLOOPS_TRAINER_RESUME_COMMAND (resume template, {model} = last.pt; default: Ultralytics' resume, or the trainer command),
       YOLOOPS_AGENT_COMMAND (wrapper before the trainer argv; default this install's yoloops-agent; none: no agent),
       YOLOOPS_TRAINING_CONCURRENCY (trainers at once; default 1)`;

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
  const env = process.env;
  const maxUploadBytes = integerSetting(env, 'YOLOOPS_MAX_UPLOAD_BYTES', 1);
  const publicUrl = publicUrlSetting(env);
  const running = await startServer({
    port,
    host: flag(args, '--host') ?? env.HOST ?? '0.0.0.0',
    dataDir: flag(args, '--data') ?? env.YOLOOPS_DATA_DIR ?? './data',
    limits: maxUploadBytes === undefined ? {} : { maxUploadBytes },
    maxImagePixels: integerSetting(env, 'YOLOOPS_MAX_IMAGE_PIXELS', 1),
    imageCheck: imageCheckSetting(env),
    inference: inferenceSettings(env),
    jobs: trainingSettings(env),
    ...(publicUrl === undefined ? {} : { publicUrl }),
  });
  console.log(`yoloops listening on ${running.url.replace('127.0.0.1', 'localhost')} (docs: /docs; trainer agents report to ${running.agentUrl})`);
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
