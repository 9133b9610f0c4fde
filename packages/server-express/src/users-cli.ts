import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createAccountService, isCoreError, systemClock, type AccountService, type User } from '@yoloops/core';
import { mkdirSync } from 'node:fs';
import {
  createPostgresRevocationStore, createPostgresUserStore, createSqliteRevocationStore, createSqliteUserStore, databaseOptionsFromEnv, openNodeDatabase, openSqliteDatabase,
} from '@yoloops/core/node';
import { readPassword } from './read-password.js';

const HELP = `usage: yoloops users <command> [--data DIR]

commands:
  add NAME [--admin] [--email E]  create an account (a member unless --admin)
  list [--json]                   list the accounts
  disable NAME                    disable an account (its tokens stop working at once)
  enable NAME                     enable an account again
  passwd NAME                     set a new password (every token of the account ends)

Passwords are read from a prompt without echo, or from the first line of stdin when it is piped,
never from the command line. --data DIR (default $YOLOOPS_DATA_DIR, else ./data) holds yoloops.db;
with YOLOOPS_DATABASE_URL set the accounts are on that PostgreSQL server (YOLOOPS_DATABASE_SCHEMA), as for yoloops serve.`;

const OPTIONS = {
  data: { type: 'string' },
  admin: { type: 'boolean' },
  email: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Which options each command takes. */
const ALLOWED: Record<string, readonly string[]> = {
  add: ['admin', 'email'], list: ['json'], disable: [], enable: [], passwd: [],
};

class UsageError extends Error {}

function parse(args: string[]) {
  if (args.some((a) => a === '--password' || a.startsWith('--password='))) {
    throw new UsageError('--password is not accepted: the password is read from the prompt or from stdin');
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [command, ...names] = parsed.positionals;
  if (parsed.values.help || command === undefined) return { help: true as const };
  if (!Object.hasOwn(ALLOWED, command)) throw new UsageError(`unknown users command "${command}"`);
  const wrong = Object.keys(parsed.values).filter((key) => key !== 'data' && !ALLOWED[command]!.includes(key));
  if (wrong.length > 0) throw new UsageError(`users ${command} takes no --${wrong[0]}`);
  const wantsName = command !== 'list';
  if (wantsName ? names.length !== 1 : names.length !== 0) throw new UsageError(wantsName ? `users ${command} needs exactly one NAME` : 'users list takes no NAME');
  return { help: false as const, command, name: names[0], values: parsed.values };
}

/**
 * The accounts of a data dir's database, without the rest of the platform. These commands never issue
 * or check tokens, so the token key is a throwaway one: the CLI neither needs nor creates the server's secret.
 */
async function openUsers(dataDir: string, env: NodeJS.ProcessEnv): Promise<{ accounts: AccountService; close(): Promise<void> }> {
  const secret = randomBytes(32);
  const database = databaseOptionsFromEnv(env);
  if (database !== undefined) {
    mkdirSync(dataDir, { recursive: true }); // per-data-root names the schema after the data root's real path
    const pg = await openNodeDatabase(database, dataDir);
    const accounts = createAccountService({ users: createPostgresUserStore(pg), revocations: createPostgresRevocationStore(pg), secret, clock: systemClock });
    return { accounts, close: () => pg.close() };
  }
  const db = openSqliteDatabase(path.join(path.resolve(dataDir), 'yoloops.db'));
  const accounts = createAccountService({
    users: createSqliteUserStore(db), revocations: createSqliteRevocationStore(db), secret, clock: systemClock,
  });
  return { accounts, close: async () => void db.close() };
}

const describeUser = (u: User) => `${u.id}\t${u.username}\t${u.role}\t${u.is_active ? 'active' : 'disabled'}\t${u.email ?? '-'}\t${u.created_at}`;

async function mustFind(accounts: AccountService, name: string): Promise<User> {
  const user = await accounts.getByUsername(name);
  if (!user) throw new Error(`no user named "${name}"`);
  return user;
}

async function run(accounts: AccountService, command: string, name: string | undefined, values: { admin?: boolean; email?: string; json?: boolean }): Promise<string> {
  switch (command) {
    case 'add': {
      const password = await readPassword({ confirm: true });
      const user = await accounts.createUser({ username: name!, password, email: values.email ?? null, role: values.admin ? 'admin' : 'member' });
      return `created user ${user.id} "${user.username}" (${user.role})`;
    }
    case 'list': {
      const users = await accounts.list();
      if (values.json) return JSON.stringify(users, null, 2);
      return ['id\tusername\trole\tstatus\temail\tcreated_at', ...users.map(describeUser)].join('\n');
    }
    case 'disable':
    case 'enable': {
      const user = await accounts.setActive((await mustFind(accounts, name!)).id, command === 'enable');
      return command === 'enable' ? `enabled "${user.username}"` : `disabled "${user.username}" (its tokens no longer work)`;
    }
    default: {
      const user = await mustFind(accounts, name!);
      await accounts.setPassword(user.id, await readPassword({ confirm: true }));
      return `password of "${user.username}" changed (its tokens no longer work)`;
    }
  }
}

/**
 * `yoloops users …`: manage accounts in the data dir's database (exit 0; 1 when the command failed, 2 on
 * a usage error).
 * @example yoloops users add ada --admin --data /var/lib/yoloops < password.txt
 */
export async function usersCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let parsed;
  try {
    parsed = parse(args);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    console.log(HELP);
    return;
  }
  let opened: Awaited<ReturnType<typeof openUsers>>;
  try {
    opened = await openUsers(parsed.values.data ?? (env.YOLOOPS_DATA_DIR || './data'), env);
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
    return;
  }
  const { accounts, close } = opened;
  try {
    console.log(await run(accounts, parsed.command, parsed.name, parsed.values));
  } catch (error) {
    console.error(isCoreError(error) || error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  } finally {
    await close();
  }
}
