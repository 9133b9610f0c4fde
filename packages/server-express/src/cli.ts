#!/usr/bin/env node
import { loadConfig, parseServeArgs, serveHelp } from './config.js';
import { startServer } from './start-server.js';
import { usersCommand } from './users-cli.js';
import { workersCommand } from './workers-cli.js';

/** A subcommand: `run` gets the arguments after its name and sets `process.exitCode` on failure (or throws). */
interface Command {
  summary: string;
  run(args: string[]): Promise<void>;
}

async function serve(args: string[]): Promise<void> {
  if (parseServeArgs(args).help) {
    console.log(serveHelp());
    return;
  }
  const { serve: options, warnings } = loadConfig(process.env, args);
  for (const warning of warnings) console.error(warning);
  const running = await startServer(options);
  console.log(`yoloops listening on ${running.url.replace('127.0.0.1', 'localhost')} (docs: /docs; trainer agents report to ${running.agentUrl})`);
  const stop = () => {
    running.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const COMMANDS: Record<string, Command> = {
  serve: { summary: 'serve the API and the docs (yoloops serve --help lists every setting)', run: serve },
  users: { summary: 'manage accounts: add, list, disable, enable, passwd (yoloops users --help)', run: (args) => usersCommand(args) },
  workers: {
    summary: 'remote training workers: yoloops workers token [--days N] prints a worker token',
    run: async (args) => void (process.exitCode = await workersCommand(args)),
  },
  worker: {
    summary: 'run a training worker on this machine: takes jobs from Redis, reports to a server (yoloops worker --help)',
    // runWorkerCli resolves once SIGTERM/SIGINT closed the worker (or at once on --help / a usage error).
    run: async (args) => process.exit(await (await import('@yoloops/trainer-agent')).runWorkerCli(args)),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return ['usage: yoloops <command> [options]', '', 'commands:', ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '', 'yoloops <command> --help prints the options of a command.'].join('\n');
}

async function main([name, ...args]: string[]): Promise<void> {
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    console.error(`${name === undefined ? 'no command given' : `unknown command "${name}"`}\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  await command.run(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
