import { DEFAULT_TRAINER_COMMAND, type TrainerCommand } from '@yoloops/core';
import type { NodeJobOptions } from '@yoloops/core/node';
import { parseCommandString } from 'execa';

/** A setting of `yoloops serve` that cannot be used; the message names it and what it got. */
export class SettingError extends Error {
  override name = 'SettingError';
}

type Env = Readonly<Record<string, string | undefined>>;
const given = (env: Env, name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);

export function imageCheckSetting(env: Env): 'structure' | 'decode' | undefined {
  const value = given(env, 'YOLOOPS_IMAGE_CHECK');
  if (value === undefined || value === 'structure' || value === 'decode') return value;
  throw new SettingError(`YOLOOPS_IMAGE_CHECK must be "structure" or "decode", got "${value}"`);
}

export function integerSetting(env: Env, name: string, min: number): number | undefined {
  const raw = given(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new SettingError(`${name} must be ${min === 1 ? 'a positive' : 'a non-negative'} integer, got "${raw}"`);
  return value;
}

export function inferenceSettings(env: Env): { intraOpNumThreads?: number; parallelRuns?: number; executionProviders?: string[] } {
  const threads = integerSetting(env, 'YOLOOPS_INFERENCE_THREADS', 1);
  const parallel = integerSetting(env, 'YOLOOPS_INFERENCE_PARALLEL_RUNS', 0);
  const providers = (env.YOLOOPS_INFERENCE_PROVIDERS ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const bad = providers.find((p) => !/^[a-z][a-z0-9_-]*$/i.test(p));
  if (bad !== undefined) throw new SettingError(`YOLOOPS_INFERENCE_PROVIDERS must list onnxruntime execution providers (e.g. cuda), got "${bad}"`);
  return {
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
    ...(parallel === undefined ? {} : { parallelRuns: parallel }),
    ...(providers.length === 0 ? {} : { executionProviders: providers }),
  };
}

/**
 * An argv setting: a JSON array of strings (exact arguments), or a command line split on spaces
 * (escape a space inside an argument with `\ `). Never run through a shell.
 */
export function argvSetting(env: Env, name: string): string[] | undefined {
  const raw = given(env, name)?.trim();
  if (raw === undefined || raw === '') return undefined;
  let argv: unknown;
  if (raw.startsWith('[')) {
    try {
      argv = JSON.parse(raw);
    } catch (error) {
      throw new SettingError(`${name} starts with "[" but is not a JSON array of strings: ${(error as Error).message}`);
    }
  } else {
    argv = parseCommandString(raw);
  }
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a): a is string => typeof a === 'string') || argv[0] === '') {
    throw new SettingError(`${name} must be a command line or a JSON array of strings with the program first, got: ${raw}`);
  }
  return argv;
}

/**
 * Training settings: `YOLOOPS_TRAINER_COMMAND` is the trainer — a program alone (e.g. a virtualenv's
 * `yolo`) keeps Ultralytics' arguments; a whole command line is the fresh-training template, also used
 * to resume (`{model}` is then last.pt) unless `YOLOOPS_TRAINER_RESUME_COMMAND` gives that template.
 * `YOLOOPS_AGENT_COMMAND` replaces the trainer agent (`none`: run the trainer without one);
 * `YOLOOPS_TRAINING_CONCURRENCY` is how many trainers run at once.
 */
export function trainingSettings(env: Env): Pick<NodeJobOptions, 'trainerCommand' | 'agentCommand' | 'concurrency'> {
  const train = argvSetting(env, 'YOLOOPS_TRAINER_COMMAND');
  const resume = argvSetting(env, 'YOLOOPS_TRAINER_RESUME_COMMAND');
  if (resume !== undefined && train === undefined) throw new SettingError('YOLOOPS_TRAINER_RESUME_COMMAND needs YOLOOPS_TRAINER_COMMAND as well');
  let trainerCommand: TrainerCommand | undefined;
  if (train !== undefined && train.length === 1) {
    const program = train[0] as string;
    trainerCommand = { train: [program, ...DEFAULT_TRAINER_COMMAND.train.slice(1)], resume: resume ?? [program, ...DEFAULT_TRAINER_COMMAND.resume.slice(1)] };
  } else if (train !== undefined) {
    trainerCommand = { train, resume: resume ?? train };
  }
  const agentRaw = given(env, 'YOLOOPS_AGENT_COMMAND')?.trim();
  const agentCommand = agentRaw === 'none' ? null : argvSetting(env, 'YOLOOPS_AGENT_COMMAND');
  const concurrency = integerSetting(env, 'YOLOOPS_TRAINING_CONCURRENCY', 1);
  return {
    ...(trainerCommand ? { trainerCommand } : {}),
    ...(agentCommand !== undefined ? { agentCommand } : {}),
    ...(concurrency === undefined ? {} : { concurrency }),
  };
}

/** `YOLOOPS_PUBLIC_URL`: the http(s) base URL trainers reach this server at. */
export function publicUrlSetting(env: Env): string | undefined {
  const raw = given(env, 'YOLOOPS_PUBLIC_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingError(`YOLOOPS_PUBLIC_URL must be an http(s) URL such as http://trainer-gateway:8000, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SettingError(`YOLOOPS_PUBLIC_URL must be an http(s) URL, got "${raw}"`);
  if (url.search || url.hash || url.username || url.password) throw new SettingError(`YOLOOPS_PUBLIC_URL must be a plain base URL (no query, fragment or credentials), got "${raw}"`);
  return raw.replace(/\/+$/, '');
}
