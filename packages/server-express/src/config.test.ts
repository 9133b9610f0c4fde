import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TRAINER_COMMAND } from '@yoloops/core';
import { afterAll, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, readSetting, ServeEnvSchema, serveHelp, settingMeta, type SettingName } from './config.js';
import { DEFAULT_RATE_LIMITS } from './http/rate-limit.js';
import type { StartServerOptions } from './start-server.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-config-'));
const program = path.join(dir, 'program');
writeFileSync(program, '#!/bin/sh\n');
chmodSync(program, 0o755);
const notExecutable = path.join(dir, 'not-executable');
writeFileSync(notExecutable, '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serve = (env: Record<string, string>, args: string[] = []) => loadConfig(env, args).serve;
const problem = (env: Record<string, string>, args: string[] = []) => {
  try {
    loadConfig(env, args);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)} ${args.join(' ')}`);
};

interface Case {
  /** What the setting reads into, from `serve`. */
  pick: (serve: StartServerOptions) => unknown;
  unset?: unknown;
  good: string;
  want: unknown;
  bad: string;
  message: string;
  /** Other settings the good value needs (and the bad one, unless `badEnv`). */
  env?: Record<string, string>;
  badEnv?: Record<string, string>;
}

/** The upstream's other settings need its URL. */
const UPSTREAM = { YOLOOPS_LLM_BASE_URL: 'http://127.0.0.1:8000' };

const DATABASE = { YOLOOPS_DATABASE_URL: 'postgres://yoloops:hunter2@127.0.0.1:5432/yoloops' };
const REDIS = { YOLOOPS_REDIS_URL: 'redis://127.0.0.1:6379' };

const rate = (name: string, pick: (s: StartServerOptions) => unknown): Case => ({
  pick, good: '5/second', want: { limit: 5, windowMs: 1000 }, bad: '10 per hour', message: `${name} must be N/second, N/minute or N/hour with N ≥ 1 (e.g. 10/hour), or off; got "10 per hour"`,
});
const limitOf = (key: 'train' | 'infer' | 'api' | 'login') => (s: StartServerOptions) => (s.rateLimits === false ? false : s.rateLimits?.[key]);

/** One case per setting of the schema: unset, a good value and what it becomes, a bad value and its message. */
const CASES: Record<SettingName, Case> = {
  PORT: { pick: (s) => s.port, unset: 8000, good: '0', want: 0, bad: '65536', message: 'PORT must be a port number from 0 to 65535 (0: any free port), got "65536"' },
  HOST: { pick: (s) => s.host, unset: '127.0.0.1', good: '[::]', want: '::', bad: 'my host', message: 'HOST must be an IP address or a host name (e.g. 127.0.0.1, 0.0.0.0, ::), got "my host"' },
  YOLOOPS_DATA_DIR: { pick: (s) => s.dataDir, unset: './data', good: ` ${dir} `, want: dir, bad: program, message: `YOLOOPS_DATA_DIR must be a directory (or where to make one), got "${program}", which is a file` },
  YOLOOPS_DATABASE_URL: {
    pick: (s) => s.database, good: DATABASE.YOLOOPS_DATABASE_URL, want: { url: DATABASE.YOLOOPS_DATABASE_URL }, bad: 'mysql://root:hunter2@db/x',
    message: 'YOLOOPS_DATABASE_URL must be a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/database, got a mysql: URL',
  },
  YOLOOPS_DATABASE_SCHEMA: {
    env: DATABASE, pick: (s) => (s.database || undefined)?.schema, good: 'per-data-root', want: 'per-data-root', bad: 'My-Schema', message: 'YOLOOPS_DATABASE_SCHEMA must be per-data-root or a schema name of lower-case letters',
  },
  YOLOOPS_DATABASE_POOL_MAX: { env: DATABASE, pick: (s) => (s.database || undefined)?.poolMax, good: '4', want: 4, badEnv: {}, bad: '4', message: 'YOLOOPS_DATABASE_POOL_MAX is set without YOLOOPS_DATABASE_URL' },
  YOLOOPS_SERVER_TIMEOUT_MS: { env: DATABASE, pick: (s) => (s.servers || undefined)?.timeoutMs, good: '10000', want: 10000, badEnv: {}, bad: '10000', message: 'YOLOOPS_SERVER_TIMEOUT_MS is set without YOLOOPS_DATABASE_URL' },
  YOLOOPS_REDIS_URL: {
    pick: (s) => s.jobs?.dispatch, good: 'rediss://:hunter2@cache:6380/0', want: { redisUrl: 'rediss://:hunter2@cache:6380/0' }, bad: 'http://cache:6379',
    message: 'YOLOOPS_REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379, got a http: URL',
  },
  YOLOOPS_WORKER_TIMEOUT_MS: {
    env: REDIS, pick: (s) => (s.jobs?.dispatch || undefined)?.timeoutMs, good: '30000', want: 30000, badEnv: {}, bad: '30000', message: 'YOLOOPS_WORKER_TIMEOUT_MS is set without YOLOOPS_REDIS_URL',
  },
  YOLOOPS_MAX_UPLOAD_BYTES: { pick: (s) => s.limits, good: '1048576', want: { maxUploadBytes: 1048576 }, bad: '1e3x', message: 'YOLOOPS_MAX_UPLOAD_BYTES must be a positive integer, got "1e3x"' },
  YOLOOPS_MAX_IMAGE_PIXELS: { pick: (s) => s.maxImagePixels, good: '1000000', want: 1000000, bad: '0', message: 'YOLOOPS_MAX_IMAGE_PIXELS must be a positive integer, got "0"' },
  YOLOOPS_IMAGE_CHECK: { pick: (s) => s.imageCheck, good: 'decode', want: 'decode', bad: 'full', message: 'YOLOOPS_IMAGE_CHECK must be "structure" or "decode", got "full"' },
  YOLOOPS_INFERENCE_THREADS: { pick: (s) => s.inference?.intraOpNumThreads, good: '4', want: 4, bad: '1.5', message: 'YOLOOPS_INFERENCE_THREADS must be a positive integer, got "1.5"' },
  YOLOOPS_INFERENCE_PARALLEL_RUNS: { pick: (s) => s.inference?.parallelRuns, good: '0', want: 0, bad: '-1', message: 'YOLOOPS_INFERENCE_PARALLEL_RUNS must be a non-negative integer, got "-1"' },
  YOLOOPS_INFERENCE_PROVIDERS: {
    pick: (s) => s.inference?.executionProviders, good: 'cuda, cpu,', want: ['cuda', 'cpu'], bad: 'cuda,../x', message: 'YOLOOPS_INFERENCE_PROVIDERS must list onnxruntime execution providers (e.g. cuda), got "../x"',
  },
  YOLOOPS_PUBLIC_URL: { pick: (s) => s.publicUrl, good: 'http://gateway:8000/yoloops/', want: 'http://gateway:8000/yoloops', bad: 'gateway:8000', message: 'YOLOOPS_PUBLIC_URL must be an http(s) URL, got "gateway:8000"' },
  YOLOOPS_TRAINER_COMMAND: {
    pick: (s) => s.jobs?.trainerCommand, good: '/opt/venv/bin/yolo',
    want: { train: ['/opt/venv/bin/yolo', ...DEFAULT_TRAINER_COMMAND.train.slice(1)], resume: ['/opt/venv/bin/yolo', ...DEFAULT_TRAINER_COMMAND.resume.slice(1)] },
    bad: 'python3 train.py data={dataset}',
    message: 'YOLOOPS_TRAINER_COMMAND uses an unknown placeholder {dataset} (known: {data} {model} {epochs} {imgsz} {batch} {project} {name} {job_id} {run_dir} {server} {config})',
  },
  YOLOOPS_TRAINER_RESUME_COMMAND: {
    pick: (s) => s.jobs?.trainerCommand, good: 'python3 train.py --resume {model}', want: undefined, bad: '["python3",', message: 'YOLOOPS_TRAINER_RESUME_COMMAND starts with "[" but is not a JSON array of strings',
  },
  YOLOOPS_FINETUNE_COMMAND: {
    pick: (s) => s.jobs?.finetuneCommand, good: '/opt/venv/bin/llamafactory-cli',
    want: { train: ['/opt/venv/bin/llamafactory-cli', 'train', '{config}'], resume: ['/opt/venv/bin/llamafactory-cli', 'train', '{config}'] },
    bad: 'axolotl train {cfg}', message: 'YOLOOPS_FINETUNE_COMMAND uses an unknown placeholder {cfg}',
  },
  YOLOOPS_LLM_BASE_MODELS: { pick: (s) => s.jobs?.baseModelsFile, good: program, want: program, bad: dir, message: `YOLOOPS_LLM_BASE_MODELS must be the path of a readable file, got "${dir}"` },
  YOLOOPS_FINETUNE_STOP_GRACE: { pick: (s) => s.jobs?.interruptGraceMs, good: '60', want: 60_000, bad: '-1', message: 'YOLOOPS_FINETUNE_STOP_GRACE must be a number of seconds from 0' },
  YOLOOPS_AGENT_COMMAND: { pick: (s) => s.jobs?.agentCommand, good: 'none', want: null, bad: '[1]', message: 'YOLOOPS_AGENT_COMMAND must be a command line or a JSON array of strings with the program first, got: [1]' },
  YOLOOPS_TRAINING_CONCURRENCY: { pick: (s) => s.jobs?.concurrency, good: '3', want: 3, bad: 'two', message: 'YOLOOPS_TRAINING_CONCURRENCY must be a positive integer, got "two"' },
  YOLOOPS_FFMPEG: { pick: () => undefined, good: program, want: undefined, bad: notExecutable, message: `YOLOOPS_FFMPEG must be the path of an executable file, got "${notExecutable}"` },
  YOLOOPS_FFPROBE: { pick: () => undefined, good: program, want: undefined, bad: dir, message: `YOLOOPS_FFPROBE must be the path of an executable file, got "${dir}"` },
  YOLOOPS_AUTH: { pick: (s) => s.auth?.mode, good: 'off', want: 'off', bad: 'yes', message: 'YOLOOPS_AUTH must be "required" or "off", got "yes"' },
  YOLOOPS_JWT_SECRET: { pick: (s) => s.auth?.jwtSecret, good: 'k'.repeat(32), want: 'k'.repeat(32), bad: 'hunter2', message: 'YOLOOPS_JWT_SECRET must be at least 32 bytes (got 7)' },
  YOLOOPS_ADMIN_PASSWORD: { pick: (s) => s.auth?.adminPassword, good: 'correct horse', want: 'correct horse', bad: 'admin12', message: 'YOLOOPS_ADMIN_PASSWORD is not a password accounts take: a password has at least 8 characters' },
  YOLOOPS_TOKEN_TTL: { pick: (s) => s.auth?.tokenTtlS, good: '3600', want: 3600, bad: '1h', message: 'YOLOOPS_TOKEN_TTL must be a positive integer, got "1h"' },
  YOLOOPS_REGISTRATION: { pick: (s) => s.auth?.registration, good: 'open', want: 'open', bad: 'anyone', message: 'YOLOOPS_REGISTRATION must be "admin" or "open", got "anyone"' },
  YOLOOPS_CORS_ORIGINS: {
    pick: (s) => s.corsOrigins, good: 'https://App.example.org, http://localhost:3000/', want: ['https://app.example.org', 'http://localhost:3000'],
    bad: 'https://app.example.org,https://x.org/app', message: 'YOLOOPS_CORS_ORIGINS must list origins without path, query or credentials (scheme://host[:port]), got "https://x.org/app"',
  },
  YOLOOPS_RATE_LIMITS: { pick: (s) => s.rateLimits, good: 'off', want: false, bad: 'none', message: 'YOLOOPS_RATE_LIMITS must be "on" or "off", got "none"' },
  YOLOOPS_RATE_LIMIT_TRAIN: rate('YOLOOPS_RATE_LIMIT_TRAIN', limitOf('train')),
  YOLOOPS_RATE_LIMIT_INFER: rate('YOLOOPS_RATE_LIMIT_INFER', limitOf('infer')),
  YOLOOPS_RATE_LIMIT_API: rate('YOLOOPS_RATE_LIMIT_API', limitOf('api')),
  YOLOOPS_RATE_LIMIT_LOGIN: rate('YOLOOPS_RATE_LIMIT_LOGIN', limitOf('login')),
  YOLOOPS_TRUST_PROXY: { pick: (s) => s.trustProxy, good: '1', want: 1, bad: 'true', message: 'YOLOOPS_TRUST_PROXY must be a non-negative integer, got "true"' },
  YOLOOPS_NVIDIA_SMI: { pick: (s) => s.gpu?.nvidiaSmi, good: program, want: program, bad: path.join(dir, 'nvidia-smi'), message: 'YOLOOPS_NVIDIA_SMI must be the path of an executable file' },
  YOLOOPS_GPU_SAMPLE_INTERVAL: { pick: (s) => s.gpu?.sampleIntervalMs, good: '2.5', want: 2500, bad: '0.05', message: 'YOLOOPS_GPU_SAMPLE_INTERVAL must be a number of seconds from 0.1 (e.g. 10 or 0.5), got "0.05"' },
  YOLOOPS_GPU_HISTORY_MINUTES: { pick: (s) => s.gpu?.historyMinutes, good: '1440', want: 1440, bad: '1441', message: 'YOLOOPS_GPU_HISTORY_MINUTES must be an integer from 1 to 1440, got "1441"' },
  YOLOOPS_LLAMA_THREADS: { pick: (s) => s.generation?.llama, good: '2', want: { threads: 2 }, bad: '0', message: 'YOLOOPS_LLAMA_THREADS must be a positive integer, got "0"' },
  YOLOOPS_LLAMA_GPU: { pick: (s) => s.generation?.llama, good: 'off', want: { gpu: false }, bad: 'rocm', message: 'YOLOOPS_LLAMA_GPU must be "off" or "auto" or "cuda" or "vulkan" or "metal", got "rocm"' },
  YOLOOPS_LLM_BASE_URL: {
    pick: (s) => s.generation?.upstream, good: 'http://127.0.0.1:11434/v1', want: { baseUrl: 'http://127.0.0.1:11434/v1' }, bad: 'ftp://host', message: 'YOLOOPS_LLM_BASE_URL ',
  },
  YOLOOPS_LLM_API_KEY: { pick: (s) => s.generation?.upstream?.apiKey, env: UPSTREAM, good: 'sk-1', want: 'sk-1', badEnv: {}, bad: 'sk-1', message: 'YOLOOPS_LLM_API_KEY is set without YOLOOPS_LLM_BASE_URL' },
  YOLOOPS_LLM_TIMEOUT_MS: { env: UPSTREAM, pick: (s) => s.generation?.upstream?.timeoutMs, good: '5000', want: 5000, bad: '5s', message: 'YOLOOPS_LLM_TIMEOUT_MS must be an integer ≥ 1, got "5s"' },
  YOLOOPS_LLM_CONNECT_TIMEOUT_MS: { env: UPSTREAM, pick: (s) => s.generation?.upstream?.connectTimeoutMs, good: '100', want: 100, bad: '0', message: 'YOLOOPS_LLM_CONNECT_TIMEOUT_MS must be an integer ≥ 1, got "0"' },
  YOLOOPS_LLM_MAX_CONCURRENCY: { env: UPSTREAM, pick: (s) => s.generation?.upstream?.maxConcurrentRequests, good: '8', want: 8, bad: '-2', message: 'YOLOOPS_LLM_MAX_CONCURRENCY must be an integer ≥ 1, got "-2"' },
  YOLOOPS_LLM_MAX_QUEUE: { env: UPSTREAM, pick: (s) => s.generation?.upstream?.maxQueuedRequests, good: '0', want: 0, bad: 'x', message: 'YOLOOPS_LLM_MAX_QUEUE must be an integer ≥ 0, got "x"' },
  YOLOOPS_LLM_MAX_RESPONSE_BYTES: { env: UPSTREAM, pick: (s) => s.generation?.upstream?.maxResponseBytes, good: '2048', want: 2048, bad: '100', message: 'YOLOOPS_LLM_MAX_RESPONSE_BYTES must be an integer ≥ 1024, got "100"' },
  YOLOOPS_LLM_SERVER: { env: UPSTREAM, pick: (s) => s.generation?.upstream?.server, good: 'ollama', want: 'ollama', bad: 'openai', message: 'YOLOOPS_LLM_SERVER must be one of auto, ' },
  YOLOOPS_LLM_TOP_K: { env: UPSTREAM, pick: (s) => s.generation?.upstream?.topK, good: 'omit', want: 'omit', bad: 'never', message: 'YOLOOPS_LLM_TOP_K must be one of auto, send, omit, got "never"' },
};

describe('loadConfig', () => {
  test('nothing set: the CLI\'s own defaults, everything else left to startServer', () => {
    expect(serve({})).toStrictEqual({ port: 8000, host: '127.0.0.1', dataDir: './data' });
    expect(serve({ YOLOOPS_AUTH: '', YOLOOPS_TRAINER_COMMAND: '  ' })).toStrictEqual({ port: 8000, host: '127.0.0.1', dataDir: './data' });
  });

  test.each(Object.entries(CASES))('%s: unset, a good value, a bad value', (name, c) => {
    expect(c.pick(serve({}))).toEqual(c.unset);
    const env: Record<string, string> = c.env ?? (name === 'YOLOOPS_TRAINER_RESUME_COMMAND' ? { YOLOOPS_TRAINER_COMMAND: 'python3 train.py' } : {});
    if (c.want !== undefined) expect(c.pick(serve({ ...env, [name]: c.good }))).toEqual(c.want);
    else expect(() => serve({ ...env, [name]: c.good })).not.toThrow();
    expect(problem({ ...(c.badEnv ?? env), [name]: c.bad })).toContain(c.message);
  });

  test('a database URL is never echoed: a bad one names its scheme only, and the schema is checked', () => {
    for (const bad of ['mysql://root:hunter2@db/x', 'hunter2', 'file:///hunter2']) expect(problem({ YOLOOPS_DATABASE_URL: bad })).not.toContain('hunter2');
    expect(serve({ ...DATABASE, YOLOOPS_DATABASE_SCHEMA: 'yoloops_ci', YOLOOPS_DATABASE_POOL_MAX: '3' }).database).toEqual({ ...{ url: DATABASE.YOLOOPS_DATABASE_URL }, schema: 'yoloops_ci', poolMax: 3 });
    expect(problem({ YOLOOPS_DATABASE_SCHEMA: 'public' })).toContain('YOLOOPS_DATABASE_SCHEMA is set without YOLOOPS_DATABASE_URL');
  });

  test('every setting of the schema has its case here', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(ServeEnvSchema.shape).sort());
  });

  test('a whole trainer command line is the training template, and the resume one unless that is given', () => {
    const train = 'python3 train.py --data {data} --weights {model}';
    expect(serve({ YOLOOPS_TRAINER_COMMAND: train }).jobs).toEqual({ trainerCommand: { train: train.split(' '), resume: train.split(' ') } });
    expect(serve({ YOLOOPS_TRAINER_COMMAND: train, YOLOOPS_TRAINER_RESUME_COMMAND: 'python3 train.py --resume {model}' }).jobs?.trainerCommand)
      .toEqual({ train: train.split(' '), resume: ['python3', 'train.py', '--resume', '{model}'] });
    expect(problem({ YOLOOPS_TRAINER_RESUME_COMMAND: 'x' })).toBe('YOLOOPS_TRAINER_RESUME_COMMAND needs YOLOOPS_TRAINER_COMMAND as well');
  });

  test('rate limits: one class off, the others left to their defaults; all off conflicts with one given', () => {
    expect(serve({ YOLOOPS_RATE_LIMIT_TRAIN: 'off', YOLOOPS_RATE_LIMIT_API: '1000/minute' }).rateLimits).toStrictEqual({ train: false, api: { limit: 1000, windowMs: 60_000 } });
    expect(serve({ YOLOOPS_RATE_LIMIT_LOGIN: '3/hour' }).rateLimits).toStrictEqual({ login: { limit: 3, windowMs: 3_600_000 } });
    expect(serve({ YOLOOPS_RATE_LIMITS: 'on' }).rateLimits).toBeUndefined();
    expect(problem({ YOLOOPS_RATE_LIMITS: 'off', YOLOOPS_RATE_LIMIT_INFER: '5/second' }))
      .toBe('YOLOOPS_RATE_LIMIT_INFER is set, but YOLOOPS_RATE_LIMITS=off turns every limit off: unset one of them');
    expect(problem({ YOLOOPS_RATE_LIMIT_API: '0/minute' })).toContain('N ≥ 1');
  });

  test('the rate-limit defaults the help shows are the ones applied, written as the settings take them', () => {
    for (const key of ['train', 'infer', 'api', 'login'] as const) {
      const shown = settingMeta(`YOLOOPS_RATE_LIMIT_${key.toUpperCase()}` as SettingName).default;
      expect(serve({ [`YOLOOPS_RATE_LIMIT_${key.toUpperCase()}`]: shown }).rateLimits).toEqual({ [key]: DEFAULT_RATE_LIMITS[key] });
    }
    expect(settingMeta('YOLOOPS_RATE_LIMIT_TRAIN').default).toBe('10/hour');
  });

  test('the auth settings travel as one object; a secret is never echoed', () => {
    const secret = 's'.repeat(40);
    expect(serve({ YOLOOPS_AUTH: 'required', YOLOOPS_JWT_SECRET: secret, YOLOOPS_TOKEN_TTL: '60' }).auth).toStrictEqual({ mode: 'required', jwtSecret: secret, tokenTtlS: 60 });
    expect(problem({ YOLOOPS_JWT_SECRET: 'a-short-secret' })).not.toContain('a-short-secret');
    expect(problem({ YOLOOPS_ADMIN_PASSWORD: 'pass' })).not.toContain('pass"');
    expect(problem({ YOLOOPS_JWT_SECRET: 'your-secret-key' })).toBe('YOLOOPS_JWT_SECRET is a published example secret; set a random one (e.g. `openssl rand -base64 48`) or unset it to have one generated');
  });

  test('CORS origins refuse "*", other schemes and non-URLs', () => {
    expect(problem({ YOLOOPS_CORS_ORIGINS: '*' })).toBe('YOLOOPS_CORS_ORIGINS lists the origins allowed, one by one; "*" (any site) is not allowed');
    expect(problem({ YOLOOPS_CORS_ORIGINS: 'ftp://files.example.org' })).toBe('YOLOOPS_CORS_ORIGINS must list http(s) origins, got "ftp://files.example.org"');
    expect(problem({ YOLOOPS_CORS_ORIGINS: 'app.example.org' })).toBe('YOLOOPS_CORS_ORIGINS must list http(s) origins such as https://app.example.org, got "app.example.org"');
    expect(problem({ YOLOOPS_CORS_ORIGINS: 'https://user:pw@app.example.org' })).toContain('without path, query or credentials');
  });

  test('argv settings: JSON arrays are exact, command lines split on spaces, never run through a shell', () => {
    const agent = (value: string) => serve({ YOLOOPS_AGENT_COMMAND: value }).jobs?.agentCommand;
    expect(agent('python3 /srv/my\\ agent.py --server {server}')).toEqual(['python3', '/srv/my agent.py', '--server', '{server}']);
    expect(agent('["python3", "/srv/my agent.py", "{job_id}"]')).toEqual(['python3', '/srv/my agent.py', '{job_id}']);
    expect(agent('echo $(rm -rf /) ; ls')).toEqual(['echo', '$(rm', '-rf', '/)', ';', 'ls']);
    expect(problem({ YOLOOPS_AGENT_COMMAND: '[""]' })).toContain('with the program first');
    expect(problem({ YOLOOPS_AGENT_COMMAND: '[]' })).toContain('YOLOOPS_AGENT_COMMAND must be a command line or a JSON array of strings');
  });

  test.each(['ftp://gateway', 'http://user:pw@gateway', 'http://gateway/?x=1', 'not a url'])('YOLOOPS_PUBLIC_URL refuses %s', (given) => {
    expect(problem({ YOLOOPS_PUBLIC_URL: given })).toMatch(/^YOLOOPS_PUBLIC_URL must be/);
  });

  test('flags override their variable and are named when bad; several bad settings are one line each', () => {
    expect(serve({ PORT: '9000', HOST: '0.0.0.0' }, ['--port', '9001', '--data', '/srv/d'])).toMatchObject({ port: 9001, host: '0.0.0.0', dataDir: '/srv/d' });
    expect(serve({}, ['--host=::1'])).toMatchObject({ host: '::1' });
    expect(problem({}, ['--port', 'http'])).toBe('--port must be a port number from 0 to 65535 (0: any free port), got "http"');
    expect(problem({ PORT: 'x', YOLOOPS_AUTH: 'on' }).split('\n')).toEqual([
      'PORT must be a port number from 0 to 65535 (0: any free port), got "x"',
      'YOLOOPS_AUTH must be "required" or "off", got "on"',
    ]);
  });

  test('an unknown flag or a stray argument is an error naming it', () => {
    expect(problem({}, ['--prot', '80'])).toBe('Unknown option \'--prot\' (see yoloops serve --help)');
    expect(problem({}, ['8080'])).toMatch(/^Unexpected argument '8080'/);
    expect(problem({}, ['--port'])).toContain('--port');
  });
});

describe('readSetting', () => {
  test('one setting with its default, a flag\'s value first, a bad value named', () => {
    expect(readSetting('YOLOOPS_DATA_DIR', {})).toBe('./data');
    expect(readSetting('YOLOOPS_DATA_DIR', { YOLOOPS_DATA_DIR: dir }, undefined)).toBe(dir);
    expect(readSetting('YOLOOPS_DATA_DIR', { YOLOOPS_DATA_DIR: program }, dir)).toBe(dir);
    expect(() => readSetting('YOLOOPS_DATA_DIR', {}, program)).toThrow(`--data must be a directory (or where to make one), got "${program}", which is a file`);
    expect(() => readSetting('YOLOOPS_TOKEN_TTL', { YOLOOPS_TOKEN_TTL: '0' })).toThrow(new ConfigError('YOLOOPS_TOKEN_TTL must be a positive integer, got "0"'));
  });
});

describe('misspelt settings', () => {
  test('a YOLOOPS_* name close to a setting is a warning naming both; other names are not', () => {
    const { warnings } = loadConfig({
      YOLOOPS_CORS_ORIGIN: 'https://a.example.org', YOLOOPS_RATE_LIMIT_TRAINING: '5/hour', YOLOOPS_AUHT: 'off',
      YOLOOPS_AGENT_RETRY_CAP_MS: '500', YOLOOPS_JOB_ID: 'x', YOLOOPS_AGENT_TOKEN: 't', YOLOOPS_AGENT_ATTEMPT: '2', YOLOOPS_ATTEMPT: '2', YOLOOPS_TEST_WORLD: '/tmp', OTHER_AUTH: 'off',
    }, []);
    expect(warnings).toEqual([
      'warning: YOLOOPS_CORS_ORIGIN is not a setting of yoloops serve and is ignored; did you mean YOLOOPS_CORS_ORIGINS?',
      'warning: YOLOOPS_RATE_LIMIT_TRAINING is not a setting of yoloops serve and is ignored; did you mean YOLOOPS_RATE_LIMIT_TRAIN?',
      'warning: YOLOOPS_AUHT is not a setting of yoloops serve and is ignored; did you mean YOLOOPS_AUTH?',
    ]);
    expect(loadConfig({ YOLOOPS_AUTH: 'off' }, []).warnings).toEqual([]);
  });
});

describe('serveHelp', () => {
  test('lists every setting of the schema with its description and default, in schema order', () => {
    const help = serveHelp();
    const names = Object.keys(ServeEnvSchema.shape) as SettingName[];
    const listed = [...help.matchAll(/^ {2}([A-Z][A-Z0-9_]*)\b/gm)].map((m) => m[1]);
    expect(listed).toEqual(names);
    for (const name of names) {
      const meta = settingMeta(name);
      expect(meta.description.length, name).toBeGreaterThan(10);
      expect(help).toContain(`      ${meta.description}\n      default: ${meta.default}`);
    }
    expect(help).toMatch(/^usage: yoloops serve \[--port N\] \[--host H\] \[--data DIR\] \[--help\]/);
  });
});

// Every variable the server side reads must be a setting of the schema (so `--help` lists it and a bad value
// stops the start), whether read as process.env.X, env.X, env['X'] or through a 'YOLOOPS_…' name in a table.
describe('the schema covers every variable the server reads', () => {
  const REPO = fileURLToPath(new URL('../../..', import.meta.url));
  const ROOTS = ['packages/server-express/src', 'packages/core/src/adapters'];
  const READS = [/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\])/g, /\benv(?:\.(YOLOOPS_[A-Z0-9_]+)|\[\s*['"`](YOLOOPS_[A-Z0-9_]+)['"`]\s*\])/g, /['"](YOLOOPS_[A-Z0-9_]+)['"]/g];
  /** Set by the server for the trainers and agents it starts, never read by it. */
  const CHILD_ENV = new Set(['YOLOOPS_JOB_ID', 'YOLOOPS_ATTEMPT', 'YOLOOPS_AGENT_ATTEMPT', 'YOLOOPS_AGENT_TOKEN']);

  async function sources(root: string): Promise<string[]> {
    const entries = await readdir(path.join(REPO, root), { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')).map((e) => path.join(e.parentPath, e.name));
  }

  test('no read of a variable the schema lacks', async () => {
    const known = new Set([...Object.keys(ServeEnvSchema.shape), ...CHILD_ENV]);
    const unknown: string[] = [];
    let reads = 0;
    for (const file of (await Promise.all(ROOTS.map(sources))).flat()) {
      const source = await readFile(file, 'utf8');
      for (const pattern of READS) {
        for (const match of source.matchAll(pattern)) {
          const name = match[1] ?? match[2] ?? '';
          reads += 1;
          if (!known.has(name)) unknown.push(`${path.relative(REPO, file)}: ${name}`);
        }
      }
    }
    expect(unknown).toEqual([]);
    expect(reads).toBeGreaterThanOrEqual(2); // YOLOOPS_FFMPEG / YOLOOPS_FFPROBE in ffmpeg-tools.ts at least: the scan reads the sources
  });
});
