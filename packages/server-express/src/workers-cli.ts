import path from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_WORKER_TOKEN_DAYS, signWorkerToken, systemClock } from '@yoloops/core';
import { loadOrCreateJwtSecret } from '@yoloops/core/node';

const HELP = `usage: yoloops workers token [--days N] [--data DIR]

Prints a worker token for \`yoloops worker --token …\` (or YOLOOPS_WORKER_TOKEN): it reaches the worker routes only
(heartbeat, claims, exit, dataset and weights downloads, GET /workers). It is signed with the server's token secret:
YOLOOPS_JWT_SECRET when set, else <data dir>/secrets/jwt-secret (--data DIR, default $YOLOOPS_DATA_DIR, else ./data).
--days N: how long it lasts (1–${MAX_WORKER_TOKEN_DAYS}, default 365). Every server that checks it needs the same secret.`;

/** `yoloops workers …`: prints the token and returns 0, or prints what is wrong and returns 2 (usage) or 1. */
export async function workersCommand(args: string[], env: NodeJS.ProcessEnv = process.env, out: (line: string) => void = console.log): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { days: { type: 'string' }, data: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n${HELP}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    out(HELP);
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  if (command !== 'token' || rest.length > 0) {
    console.error(`unknown workers command "${[command, ...rest].join(' ')}"\n${HELP}`);
    return 2;
  }
  const days = parsed.values.days === undefined ? 365 : Number(parsed.values.days);
  if (!/^\d{1,4}$/.test(parsed.values.days ?? '365') || days < 1 || days > MAX_WORKER_TOKEN_DAYS) {
    console.error(`--days must be a whole number of days, 1–${MAX_WORKER_TOKEN_DAYS} (got "${parsed.values.days ?? ''}")`);
    return 2;
  }
  const dataDir = path.resolve(parsed.values.data ?? (env.YOLOOPS_DATA_DIR || './data'));
  const secret = await loadOrCreateJwtSecret(dataDir, env.YOLOOPS_JWT_SECRET || undefined);
  out((await signWorkerToken({ secret, clock: systemClock, days })).token);
  return 0;
}
