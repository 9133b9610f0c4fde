import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { agentCliPath } from '../cli-path.js';
import { USAGE } from '../cli-args.js';

/** `<hostname>-<pid>-<random>` cut to a valid worker id (64 of letters, digits, `.`, `_`, `-`). */
export function defaultWorkerId(host: string = hostname(), pid: number = process.pid): string {
  const name = host.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 40) || 'worker';
  return `${name}-${pid}-${randomBytes(3).toString('hex')}`;
}

/** This installation's `yoloops-agent`: the built CLI started with this Node, else the name on PATH. */
export function defaultAgentCommand(): string[] {
  const cli = agentCliPath();
  return cli === undefined ? ['yoloops-agent'] : [process.execPath, cli];
}

/** The `run` flags this package's agent knows among `--ship-logs` and `--checkpoints` (both, once the agent has them). */
export function defaultAgentFlags(usage: string = USAGE): string[] {
  return ['--ship-logs', '--checkpoints'].filter((flag) => usage.includes(flag));
}

/** Version of @yoloops/trainer-agent (from its package.json, found from src/ and from dist/), '' when unreadable. */
export function agentVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    const file = fileURLToPath(new URL(relative, import.meta.url));
    if (!existsSync(file)) continue;
    try {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (json.name === '@yoloops/trainer-agent' && typeof json.version === 'string') return json.version.slice(0, 64);
    } catch {
      // try the next one
    }
  }
  return '';
}
