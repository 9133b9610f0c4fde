// Test support: a PostgreSQL server of the test's own (Debian's postgresql binaries: initdb, pg_ctl), in a
// temporary folder on a free loopback port, so a test can stop, kill and start the database process itself
// without touching the server other suites share (YOLOOPS_TEST_POSTGRES_URL).
import { execa } from 'execa';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './redis-server.js';

/** One private PostgreSQL server. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  url: string;
  port: number;
  /** Starts it again on the same port and folder (after `stop()` or `kill()`); resolves once it accepts connections. */
  start(): Promise<void>;
  /** A clean shutdown (`pg_ctl stop -m fast`): open sessions are ended, everything is written. */
  stop(): Promise<void>;
  /** A crash (`pg_ctl stop -m immediate`, the postmaster and every backend gone at once): the next start runs crash recovery. */
  kill(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/** The folder of Debian's PostgreSQL programs (`pg_config --bindir`, else the newest /usr/lib/postgresql/<n>/bin), or undefined. */
export function postgresBinDir(): string | undefined {
  const candidates: string[] = [];
  try {
    const root = '/usr/lib/postgresql';
    for (const version of readdirSync(root).sort((a, b) => Number(b) - Number(a))) candidates.push(path.join(root, version, 'bin'));
  } catch {
    // not Debian's layout
  }
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
}

/**
 * initdb + pg_ctl start in a new temporary folder. PostgreSQL refuses to run as root: as root the programs run as
 * the `postgres` user (runuser), which owns the folder.
 * @example const pg = await startPrivatePostgres(); await pg.kill(); await pg.start(); await pg.close();
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error('PostgreSQL programs not found (apt-get install postgresql): initdb and pg_ctl are needed for a private server');
  const root = mkdtempSync(path.join(tmpdir(), 'yoloops-private-pg-'));
  const dataDir = path.join(root, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await execa('id', ['-u', 'postgres']);
    const { stdout: gid } = await execa('id', ['-g', 'postgres']);
    chownSync(root, Number(stdout.trim()), Number(gid.trim()));
  }
  const run = (program: string, args: string[]) =>
    asRoot ? execa('runuser', ['-u', 'postgres', '--', path.join(bin, program), ...args]) : execa(path.join(bin, program), args);
  const port = await freePort();
  await run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const options = [`-p ${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${root}`, '-c fsync=off', '-c max_connections=200'].join(' ');
  const start = async () => {
    await run('pg_ctl', ['start', '-D', dataDir, '-w', '-t', '60', '-l', path.join(root, 'server.log'), '-o', options]);
  };
  const stop = async (mode: 'fast' | 'immediate') => {
    await run('pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
  };
  await start();
  let closed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop: () => stop('fast'),
    kill: () => stop('immediate'),
    async close() {
      if (closed) return;
      closed = true;
      await stop('immediate').catch(() => undefined); // already stopped is fine
      rmSync(root, { recursive: true, force: true });
    },
  };
}
