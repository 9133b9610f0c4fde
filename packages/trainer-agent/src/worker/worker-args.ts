import { parseArgs } from 'node:util';
import { WORKER_LABEL_KEY_PATTERN, WORKER_LABEL_VALUE_PATTERN, WorkerIdSchema, WorkerOwnLabelsSchema } from '@yoloops/core';
import { UsageError } from '../cli-args.js';
import type { TrainingWorkerOptions } from './create-training-worker.js';

/** The `worker --help` text. */
export const WORKER_USAGE = `usage: yoloops worker --server URL --redis URL [--token T] [--id ID] [--labels k=v,…]
                      [--concurrency N] [--work-dir DIR] [--agent-command JSON]
       (also: yoloops-agent worker …)

Takes training jobs from the servers' BullMQ queues on Redis, downloads each job's prepared dataset
version from the server, runs the trainer under yoloops-agent on this machine and reports through the
server's HTTP routes. SIGTERM/SIGINT: stop taking jobs, stop the trainers, hand their jobs back (another
worker resumes them from their last checkpoint once the server takes this one for gone), exit.

  --server URL         a yoloops server (any replica)                  env YOLOOPS_SERVER_URL
  --redis URL          the Redis the servers dispatch through           env YOLOOPS_REDIS_URL
  --token T            worker token (yoloops workers token)             env YOLOOPS_WORKER_TOKEN
  --id ID              worker id (default <hostname>-<pid>-<random>;    env YOLOOPS_WORKER_ID
                       give a stable one so a restart is known as itself)
  --labels k=v,…       labels jobs may require, e.g. gpu=a100,zone=eu   env YOLOOPS_WORKER_LABELS
  --concurrency N      jobs run at once (default 1)                     env YOLOOPS_WORKER_CONCURRENCY
  --work-dir DIR       datasets, runs and logs (default ./yoloops-worker) env YOLOOPS_WORKER_DIR
  --agent-command JSON the trainer agent's program as a JSON array,     env YOLOOPS_WORKER_AGENT_COMMAND
                       e.g. ["node","/opt/yoloops/agent/dist/cli.js"] (default: this install's yoloops-agent)`;

/** What `worker` was asked to do: the worker's options, or only the help text. */
export type WorkerArgs = { help: true } | { help: false; options: TrainingWorkerOptions };

/** `k=v,k2=v2` → labels, checked like the server checks them. @throws UsageError */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--labels: ${JSON.stringify(pair)} is not key=value`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (Object.hasOwn(labels, key)) throw new UsageError(`--labels: ${JSON.stringify(key)} is given twice`);
    if (!WORKER_LABEL_KEY_PATTERN.test(key)) throw new UsageError(`--labels: label keys are 1–32 of a-z 0-9 . _ - starting with a letter or digit (got ${JSON.stringify(key)})`);
    if (!WORKER_LABEL_VALUE_PATTERN.test(value)) throw new UsageError(`--labels: label values are 1–64 of A-Z a-z 0-9 . _ - (got ${JSON.stringify(value)} for ${key})`);
    labels[key] = value;
  }
  const checked = WorkerOwnLabelsSchema.safeParse(labels);
  if (!checked.success) throw new UsageError(`--labels: ${checked.error.issues[0]?.message ?? 'invalid'}`);
  return checked.data;
}

/** A JSON array of strings, the first one non-empty. @throws UsageError */
export function parseAgentCommand(text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((a): a is string => typeof a === 'string') || value[0] === '') {
    throw new UsageError(`--agent-command must be a JSON array of strings such as ["node","/path/to/cli.js"] (got ${JSON.stringify(text)})`);
  }
  return value;
}

function httpUrl(value: string, flag: string, protocols: readonly string[]): string {
  if (!URL.canParse(value) || !protocols.includes(new URL(value).protocol)) throw new UsageError(`${flag} must be a ${protocols.join(' or ')}// URL (got ${JSON.stringify(value)})`);
  return value;
}

/** Parses `worker` arguments (after the word `worker`), flags first, then the environment. @throws UsageError */
export function parseWorkerArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): WorkerArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv], allowPositionals: false,
      options: {
        server: { type: 'string' }, redis: { type: 'string' }, token: { type: 'string' }, id: { type: 'string' }, labels: { type: 'string' },
        concurrency: { type: 'string' }, 'work-dir': { type: 'string' }, 'agent-command': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true };
  const server = values.server ?? env.YOLOOPS_SERVER_URL;
  const redis = values.redis ?? env.YOLOOPS_REDIS_URL;
  if (!server) throw new UsageError('--server is required (or YOLOOPS_SERVER_URL)');
  if (!redis) throw new UsageError('--redis is required (or YOLOOPS_REDIS_URL)');
  const id = values.id ?? env.YOLOOPS_WORKER_ID;
  if (id !== undefined && !WorkerIdSchema.safeParse(id).success) throw new UsageError(`--id ${JSON.stringify(id)}: 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  const concurrencyText = values.concurrency ?? env.YOLOOPS_WORKER_CONCURRENCY;
  const concurrency = concurrencyText === undefined ? 1 : Number(concurrencyText);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency must be an integer 1–64 (got ${JSON.stringify(concurrencyText)})`);
  const token = values.token ?? env.YOLOOPS_WORKER_TOKEN;
  const labels = values.labels ?? env.YOLOOPS_WORKER_LABELS;
  const workDir = values['work-dir'] ?? env.YOLOOPS_WORKER_DIR;
  const agentText = values['agent-command'] ?? env.YOLOOPS_WORKER_AGENT_COMMAND;
  return {
    help: false,
    options: {
      serverUrl: httpUrl(server, '--server', ['http:', 'https:']), redisUrl: httpUrl(redis, '--redis', ['redis:', 'rediss:']), concurrency,
      ...(token ? { token } : {}), ...(id ? { workerId: id } : {}), ...(labels ? { labels: parseLabels(labels) } : {}), ...(workDir ? { workDir } : {}),
      ...(agentText ? { agentCommand: parseAgentCommand(agentText) } : {}),
    },
  };
}
