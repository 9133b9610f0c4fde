import { parseArgs } from 'node:util';
import { DEFAULT_DATASET_LIMITS, DEFAULT_FINETUNE_COMMAND, DEFAULT_TOKEN_TTL_S, DEFAULT_TRAINER_COMMAND, type TrainerCommand } from '@yoloops/core';
import { OpenAiUpstreamEnvSchema, type NodePlatformOptions } from '@yoloops/core/node';
import { z } from 'zod';
import {
  argv, argvOrNone, databaseSchema, databaseUrl, directory, executable, executionProviders, formatRateLimit, host, integer, integerIn, jwtSecret, oneOf, origins, password, port, publicUrl, rateLimit, readableFile, redisUrl, secondsToMs, setting,
  type SettingMeta,
} from './config-fields.js';
import { DEFAULT_RATE_LIMITS } from './http/rate-limit.js';
import type { RateLimit, SecurityOptions } from './security-options.js';
import type { StartServerOptions } from './start-server.js';

const ultralytics = DEFAULT_TRAINER_COMMAND.train.join(' ');
const GIB = 1024 ** 3;

/**
 * Every setting `yoloops serve` reads, keyed by its environment variable, each with its description
 * and default (`.meta()`); the flags named in `meta.flag` override their variable.
 */
export const ServeEnvSchema = z.object({
  PORT: setting(port, { description: 'port to listen on (0: any free port)', default: '8000', flag: '--port N' }, 8000),
  HOST: setting(host, { description: 'address to listen on (0.0.0.0 or :: for every interface; beyond loopback auth is required by default)', default: '127.0.0.1', flag: '--host H' }, '127.0.0.1'),
  YOLOOPS_DATA_DIR: setting(directory, { description: 'data root: yoloops.db, uploads, datasets, models, secrets', default: './data', flag: '--data DIR' }, './data'),
  YOLOOPS_DATABASE_URL: setting(databaseUrl, { description: 'PostgreSQL server holding the metadata instead of <data dir>/yoloops.db (postgres://user:password@host:5432/database); files stay in the data root', default: 'none: SQLite in the data root' }),
  YOLOOPS_DATABASE_SCHEMA: setting(databaseSchema, { description: 'PostgreSQL schema of the tables, created when missing (per-data-root: one per data root, from its real path; meant for test isolation)', default: 'public' }),
  YOLOOPS_DATABASE_POOL_MAX: setting(integer(1), { description: 'PostgreSQL connections this server opens at most', default: '10' }),
  YOLOOPS_SERVER_TIMEOUT_MS: setting(integerIn(3000, 3_600_000), { description: 'with several servers on one database: milliseconds without a server\'s heartbeat after which another takes over its unfinished work (dataset prepares, instruction processing, its local trainers\' jobs)', default: '30000' }),
  YOLOOPS_MAX_UPLOAD_BYTES: setting(integer(1), { description: 'largest upload (dataset or model ZIP, video) in bytes', default: `${DEFAULT_DATASET_LIMITS.maxUploadBytes} (${DEFAULT_DATASET_LIMITS.maxUploadBytes / GIB} GiB)` }),
  YOLOOPS_MAX_IMAGE_PIXELS: setting(integer(1), { description: 'largest image accepted, in pixels', default: '40000000' }),
  YOLOOPS_IMAGE_CHECK: setting(oneOf('structure', 'decode'), { description: 'image check at dataset prepare: structure (Ultralytics\' own) or decode (decode every image)', default: 'structure' }),
  YOLOOPS_INFERENCE_THREADS: setting(integer(1), { description: 'threads the runs of a model use at once', default: 'all cores this process may use' }),
  YOLOOPS_INFERENCE_PARALLEL_RUNS: setting(integer(0), { description: 'parallel sessions per model for batches and video (0: one session)', default: '2, 4 from 8 cores' }),
  YOLOOPS_INFERENCE_PROVIDERS: setting(executionProviders, { description: 'onnxruntime execution providers, comma-separated (e.g. cuda)', default: 'cpu' }),
  YOLOOPS_PUBLIC_URL: setting(publicUrl, { description: 'http(s) base URL trainer agents and trainers report to', default: 'the address and port bound' }),
  YOLOOPS_TRAINER_COMMAND: setting(argv, {
    description: 'the trainer: a program alone (e.g. /opt/venv/bin/yolo) keeps Ultralytics\' arguments; a whole command line or JSON argv is the template, with {data} {model} {epochs} {imgsz} {batch} {project} {name} {job_id} {run_dir} {server}',
    default: ultralytics,
  }),
  YOLOOPS_TRAINER_RESUME_COMMAND: setting(argv, { description: 'resume template ({model} = last.pt); needs YOLOOPS_TRAINER_COMMAND', default: 'Ultralytics\' resume for a program alone, else the trainer command' }),
  YOLOOPS_FINETUNE_COMMAND: setting(argv, {
    description: 'the fine-tune trainer of llm-finetune jobs: a program alone (e.g. /opt/venv/bin/llamafactory-cli) keeps `train {config}`; a whole command line or JSON argv is the template for both start and resume, {config} = the YAML the job writes',
    default: DEFAULT_FINETUNE_COMMAND.train.join(' '),
  }),
  YOLOOPS_LLM_BASE_MODELS: setting(readableFile, { description: 'base-model catalog of fine-tune jobs (YAML or JSON: models: [{id, model_name_or_path, template, default?}])', default: 'catalog/llm-base-models.yaml of @yoloops/core' }),
  YOLOOPS_FINETUNE_STOP_GRACE: setting(secondsToMs(0), { description: 'seconds a stopped fine-tune gets after SIGINT (it saves a checkpoint) before SIGTERM', default: '30' }),
  YOLOOPS_AGENT_COMMAND: setting(argvOrNone, { description: 'wrapper before the trainer argv (none: run the trainer without an agent)', default: 'this install\'s yoloops-agent' }),
  YOLOOPS_TRAINING_CONCURRENCY: setting(integer(1), { description: 'trainers running at once', default: '1' }),
  YOLOOPS_REDIS_URL: setting(redisUrl, { description: 'Redis of the job queue (redis://host:6379 or rediss://): jobs go to remote `yoloops worker`s through BullMQ instead of trainers started here; log lines of every replica meet there too', default: 'none: trainers run on this machine' }),
  YOLOOPS_WORKER_TIMEOUT_MS: setting(integerIn(1000, 3_600_000), { description: 'milliseconds without a heartbeat after which a worker is taken for dead and its running jobs go to another worker (resuming from their last checkpoint)', default: '15000' }),
  YOLOOPS_FFMPEG: setting(executable, { description: 'the ffmpeg program for video inference', default: 'ffmpeg on PATH, else the npm-shipped one' }),
  YOLOOPS_FFPROBE: setting(executable, { description: 'the ffprobe program for video inference', default: 'ffprobe on PATH, else the npm-shipped one' }),
  YOLOOPS_AUTH: setting(oneOf('required', 'off'), { description: 'required: every route but /, /health, /docs, /openapi.json and login needs a token; off: none does', default: 'off on a loopback HOST, else required' }),
  YOLOOPS_JWT_SECRET: setting(jwtSecret, { description: 'HS256 secret signing the tokens (at least 32 bytes, e.g. openssl rand -base64 48)', default: 'a random one kept in <data dir>/secrets/jwt-secret (mode 0600)' }),
  YOLOOPS_ADMIN_PASSWORD: setting(password, { description: 'password of the first admin ("admin"), created on a start with no user yet', default: 'none: create one with yoloops users add NAME --admin' }),
  YOLOOPS_TOKEN_TTL: setting(integer(1), { description: 'lifetime of user tokens, in seconds', default: `${DEFAULT_TOKEN_TTL_S} (${DEFAULT_TOKEN_TTL_S / 3600} hours)` }),
  YOLOOPS_REGISTRATION: setting(oneOf('admin', 'open'), { description: 'admin: only admins register users; open: anyone may register a member account', default: 'admin' }),
  YOLOOPS_CORS_ORIGINS: setting(origins, { description: 'browser origins allowed to call the API, comma-separated (e.g. https://app.example.org)', default: 'none beyond same-origin and the loopback dev ports' }),
  YOLOOPS_RATE_LIMITS: setting(oneOf('on', 'off'), { description: 'off: no rate limit at all', default: 'on' }),
  YOLOOPS_RATE_LIMIT_TRAIN: setting(rateLimit, { description: 'training submissions per user (per IP when anonymous): N/second, N/minute, N/hour or off', default: formatRateLimit(DEFAULT_RATE_LIMITS.train) }),
  YOLOOPS_RATE_LIMIT_INFER: setting(rateLimit, { description: 'inference requests per user (per IP when anonymous)', default: formatRateLimit(DEFAULT_RATE_LIMITS.infer) }),
  YOLOOPS_RATE_LIMIT_API: setting(rateLimit, { description: 'other API requests per user (per IP when anonymous)', default: formatRateLimit(DEFAULT_RATE_LIMITS.api) }),
  YOLOOPS_RATE_LIMIT_LOGIN: setting(rateLimit, { description: 'failed login attempts, per client IP and per username tried', default: formatRateLimit(DEFAULT_RATE_LIMITS.login) }),
  YOLOOPS_TRUST_PROXY: setting(integer(0), { description: 'reverse proxies in front of the server whose X-Forwarded-For is trusted (hop count)', default: '0: none, the peer address is the client' }),
  YOLOOPS_NVIDIA_SMI: setting(executable, { description: 'the nvidia-smi program GPU monitoring runs', default: 'nvidia-smi on PATH' }),
  YOLOOPS_GPU_SAMPLE_INTERVAL: setting(secondsToMs(0.1), { description: 'seconds between GPU history samples (taken only while GPUs exist)', default: '10' }),
  YOLOOPS_GPU_HISTORY_MINUTES: setting(integerIn(1, 1440), { description: 'minutes of GPU history kept for GET /api/v1/gpu/history', default: '60' }),
  YOLOOPS_LLAMA_THREADS: setting(integer(1), { description: 'threads of one embedded llama.cpp generation (registry GGUF models); generations run side by side on the other cores', default: '1 (on 2 cores one thread decodes far faster than two)' }),
  YOLOOPS_LLAMA_GPU: setting(oneOf('off', 'auto', 'cuda', 'vulkan', 'metal'), { description: 'GPU build of node-llama-cpp to generate on: auto, cuda, vulkan or metal (install cuda/vulkan with YOLOOPS_LLAMA_GPU=cuda npm ci), or off', default: 'off: the CPU build npm installs' }),
  ...OpenAiUpstreamEnvSchema.shape,
});

export type ServeEnv = z.output<typeof ServeEnvSchema>;
export type SettingName = keyof typeof ServeEnvSchema.shape;

/** A setting of `yoloops serve` that cannot be used; the message names each and what it got, one a line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The help of a setting, as declared in the schema. */
export function settingMeta(name: SettingName): SettingMeta {
  return ServeEnvSchema.shape[name].meta() as unknown as SettingMeta;
}

const NAMES = Object.keys(ServeEnvSchema.shape) as SettingName[];
/** `--port` → `PORT`, from the schema's `meta.flag`. */
const FLAGS = new Map(NAMES.flatMap((name) => {
  const flag = settingMeta(name).flag;
  return flag === undefined ? [] : [[flag.split(' ')[0]!.replace(/^--/, ''), name] as const];
}));

const RATE_LIMITS = { train: 'YOLOOPS_RATE_LIMIT_TRAIN', infer: 'YOLOOPS_RATE_LIMIT_INFER', api: 'YOLOOPS_RATE_LIMIT_API', login: 'YOLOOPS_RATE_LIMIT_LOGIN' } as const;

/** The object without its `undefined` entries, or undefined when none is left. */
function compact<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

function trainerCommand(env: ServeEnv): TrainerCommand | undefined {
  const train = env.YOLOOPS_TRAINER_COMMAND;
  const resume = env.YOLOOPS_TRAINER_RESUME_COMMAND;
  if (train === undefined) return undefined;
  if (train.length > 1) return { train, resume: resume ?? train };
  const program = train[0] as string;
  return { train: [program, ...DEFAULT_TRAINER_COMMAND.train.slice(1)], resume: resume ?? [program, ...DEFAULT_TRAINER_COMMAND.resume.slice(1)] };
}

function finetuneCommand(env: ServeEnv): TrainerCommand | undefined {
  const train = env.YOLOOPS_FINETUNE_COMMAND;
  if (train === undefined) return undefined;
  const argv = train.length > 1 ? train : [train[0] as string, ...DEFAULT_FINETUNE_COMMAND.train.slice(1)];
  return { train: argv, resume: argv };
}

function security(env: ServeEnv): SecurityOptions {
  const limits = Object.entries(RATE_LIMITS).map(([key, name]) => [key, env[name]] as [string, RateLimit | undefined]);
  return {
    auth: compact({ mode: env.YOLOOPS_AUTH, jwtSecret: env.YOLOOPS_JWT_SECRET, adminPassword: env.YOLOOPS_ADMIN_PASSWORD, tokenTtlS: env.YOLOOPS_TOKEN_TTL, registration: env.YOLOOPS_REGISTRATION }),
    corsOrigins: env.YOLOOPS_CORS_ORIGINS,
    rateLimits: env.YOLOOPS_RATE_LIMITS === 'off' ? false : compact(Object.fromEntries(limits)),
    trustProxy: env.YOLOOPS_TRUST_PROXY,
    gpu: compact({ nvidiaSmi: env.YOLOOPS_NVIDIA_SMI, sampleIntervalMs: env.YOLOOPS_GPU_SAMPLE_INTERVAL, historyMinutes: env.YOLOOPS_GPU_HISTORY_MINUTES }),
  };
}

const UPSTREAM_NAMES = Object.keys(OpenAiUpstreamEnvSchema.shape) as (keyof typeof OpenAiUpstreamEnvSchema.shape)[];

/** Embedded llama.cpp settings and the OpenAI-compatible upstream (only with `YOLOOPS_LLM_BASE_URL`). */
function generation(env: ServeEnv): NodePlatformOptions['generation'] {
  const gpu = env.YOLOOPS_LLAMA_GPU;
  const llama = compact({ threads: env.YOLOOPS_LLAMA_THREADS, gpu: gpu === 'off' ? (false as const) : gpu });
  const upstream = env.YOLOOPS_LLM_BASE_URL === undefined ? undefined : compact({
    baseUrl: env.YOLOOPS_LLM_BASE_URL, apiKey: env.YOLOOPS_LLM_API_KEY, timeoutMs: env.YOLOOPS_LLM_TIMEOUT_MS, connectTimeoutMs: env.YOLOOPS_LLM_CONNECT_TIMEOUT_MS,
    maxConcurrentRequests: env.YOLOOPS_LLM_MAX_CONCURRENCY, maxQueuedRequests: env.YOLOOPS_LLM_MAX_QUEUE, maxResponseBytes: env.YOLOOPS_LLM_MAX_RESPONSE_BYTES,
    server: env.YOLOOPS_LLM_SERVER, topK: env.YOLOOPS_LLM_TOP_K,
  });
  return compact({ llama, upstream: upstream as { baseUrl: string } | undefined });
}

/** The parsed settings as `startServer` takes them; what is not set is left to its default there. */
function toServeOptions(env: ServeEnv): StartServerOptions {
  const options: StartServerOptions = {
    port: env.PORT,
    host: env.HOST,
    dataDir: env.YOLOOPS_DATA_DIR,
    publicUrl: env.YOLOOPS_PUBLIC_URL,
    limits: compact({ maxUploadBytes: env.YOLOOPS_MAX_UPLOAD_BYTES }),
    maxImagePixels: env.YOLOOPS_MAX_IMAGE_PIXELS,
    imageCheck: env.YOLOOPS_IMAGE_CHECK,
    inference: compact({ intraOpNumThreads: env.YOLOOPS_INFERENCE_THREADS, parallelRuns: env.YOLOOPS_INFERENCE_PARALLEL_RUNS, executionProviders: env.YOLOOPS_INFERENCE_PROVIDERS }),
    jobs: compact({
      trainerCommand: trainerCommand(env), agentCommand: env.YOLOOPS_AGENT_COMMAND, concurrency: env.YOLOOPS_TRAINING_CONCURRENCY,
      finetuneCommand: finetuneCommand(env), baseModelsFile: env.YOLOOPS_LLM_BASE_MODELS, interruptGraceMs: env.YOLOOPS_FINETUNE_STOP_GRACE,
      dispatch: env.YOLOOPS_REDIS_URL === undefined ? undefined : compact({ redisUrl: env.YOLOOPS_REDIS_URL, timeoutMs: env.YOLOOPS_WORKER_TIMEOUT_MS }),
    }),
    generation: generation(env),
    servers: env.YOLOOPS_SERVER_TIMEOUT_MS === undefined ? undefined : { timeoutMs: env.YOLOOPS_SERVER_TIMEOUT_MS },
    database: env.YOLOOPS_DATABASE_URL === undefined ? undefined : compact({ url: env.YOLOOPS_DATABASE_URL, schema: env.YOLOOPS_DATABASE_SCHEMA, poolMax: env.YOLOOPS_DATABASE_POOL_MAX }),
    ...security(env),
  };
  return compact(options) as StartServerOptions;
}

/** The settings with the checks that span several of them, mapped onto `StartServerOptions`. */
export const ServeConfigSchema = ServeEnvSchema.superRefine((env, ctx) => {
  if (env.YOLOOPS_TRAINER_RESUME_COMMAND !== undefined && env.YOLOOPS_TRAINER_COMMAND === undefined) {
    ctx.addIssue({ code: 'custom', path: ['YOLOOPS_TRAINER_RESUME_COMMAND'], message: 'needs YOLOOPS_TRAINER_COMMAND as well' });
  }
  if (env.YOLOOPS_WORKER_TIMEOUT_MS !== undefined && env.YOLOOPS_REDIS_URL === undefined) {
    ctx.addIssue({ code: 'custom', path: ['YOLOOPS_WORKER_TIMEOUT_MS'], message: 'is set without YOLOOPS_REDIS_URL: workers exist only in dispatch mode; set the Redis URL too, or unset it' });
  }
  for (const name of ['YOLOOPS_DATABASE_SCHEMA', 'YOLOOPS_DATABASE_POOL_MAX', 'YOLOOPS_SERVER_TIMEOUT_MS'] as const) {
    if (env.YOLOOPS_DATABASE_URL === undefined && env[name] !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is set without YOLOOPS_DATABASE_URL: set the database URL too, or unset it' });
  }
  if (env.YOLOOPS_LLM_BASE_URL === undefined) {
    for (const name of UPSTREAM_NAMES) {
      if (env[name] !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is set without YOLOOPS_LLM_BASE_URL: set the upstream\'s URL too, or unset it' });
    }
  }
  if (env.YOLOOPS_RATE_LIMITS !== 'off') return;
  for (const name of Object.values(RATE_LIMITS)) {
    if (env[name] !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is set, but YOLOOPS_RATE_LIMITS=off turns every limit off: unset one of them' });
  }
}).transform(toServeOptions);

/** The flags of `yoloops serve` (`--help`/`-h`, and those the schema names); an unknown flag or an argument is a `ConfigError`. */
export function parseServeArgs(args: readonly string[]): { help: boolean; flags: Partial<Record<SettingName, string>> } {
  const options = Object.fromEntries([...FLAGS.keys()].map((flag) => [flag, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.replace(/\. To specify a positional argument.*$/s, '')} (see yoloops serve --help)`);
  }
  const flags = Object.fromEntries([...FLAGS].flatMap(([flag, name]) => (typeof values[flag] === 'string' ? [[name, values[flag]]] : [])));
  return { help: values.help === true, flags };
}

/** Edits (insertions, deletions, substitutions) from `a` to `b`. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** Warnings for `YOLOOPS_*` variables that look like a misspelt setting (a typo would silently keep the default). */
function misspelt(env: Readonly<Record<string, string | undefined>>): string[] {
  const known = new Set<string>(NAMES);
  return Object.keys(env).filter((name) => name.startsWith('YOLOOPS_') && !known.has(name)).flatMap((name) => {
    const near = NAMES.find((setting) => distance(name, setting) <= 2 || (Math.min(name.length, setting.length) >= 12 && (name.startsWith(setting) || setting.startsWith(name))));
    return near === undefined ? [] : [`warning: ${name} is not a setting of yoloops serve and is ignored; did you mean ${near}?`];
  });
}

/**
 * Reads every setting of `yoloops serve` from `env` and its flags from `args` (flags win), once.
 * Throws a `ConfigError` naming each bad variable (or flag) and what it got; `warnings` names the
 * `YOLOOPS_*` variables that look like a misspelt setting.
 * @example
 * const { serve, warnings } = loadConfig(process.env, ['--port', '8080']);
 * await startServer(serve);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, args: readonly string[]): { serve: StartServerOptions; warnings: string[] } {
  const { flags } = parseServeArgs(args);
  const input = Object.fromEntries(NAMES.map((name) => [name, flags[name] ?? env[name]]));
  const parsed = ServeConfigSchema.safeParse(input);
  if (parsed.success) return { serve: parsed.data, warnings: misspelt(env) };
  const flagOf = new Map([...FLAGS].map(([flag, name]) => [name, `--${flag}`]));
  throw new ConfigError(parsed.error.issues.map((issue) => {
    const name = String(issue.path[0]) as SettingName;
    return `${flags[name] === undefined ? name : (flagOf.get(name) ?? name)} ${issue.message}`;
  }).join('\n'));
}

/**
 * One setting alone, as `loadConfig` reads it (`given`, a flag's value, wins over `env`), for commands
 * that need only a few of them; throws a `ConfigError` naming it.
 * @example const dataDir = readSetting('YOLOOPS_DATA_DIR', process.env, values.data);
 */
export function readSetting<N extends SettingName>(name: N, env: Readonly<Record<string, string | undefined>>, given?: string): ServeEnv[N] {
  const parsed = ServeEnvSchema.shape[name].safeParse(given ?? env[name]);
  if (parsed.success) return parsed.data as ServeEnv[N];
  const label = given === undefined ? name : `--${[...FLAGS].find(([, n]) => n === name)?.[0] ?? name}`;
  throw new ConfigError(parsed.error.issues.map((issue) => `${label} ${issue.message}`).join('\n'));
}

/** `yoloops serve --help`: every setting of the schema, its flag, description and default. */
export function serveHelp(): string {
  const lines = NAMES.map((name) => {
    const meta = settingMeta(name);
    return `  ${name}${meta.flag === undefined ? '' : `, ${meta.flag}`}\n      ${meta.description}\n      default: ${meta.default}`;
  });
  return [
    `usage: yoloops serve [${[...FLAGS].map(([, name]) => settingMeta(name).flag).join('] [')}] [--help]`,
    '',
    'Serves the yoloops API. Every setting is an environment variable; a flag overrides its variable.',
    '',
    ...lines,
  ].join('\n');
}
