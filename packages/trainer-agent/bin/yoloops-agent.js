#!/usr/bin/env node
// `yoloops-agent` on PATH from `npm ci` on: npm links a bin only to a file that exists at install time, which the
// build output does not yet, so the link points here, and this runs the built CLI (dist/cli.js) or says how to build it.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('yoloops-agent: the CLI is not built yet (packages/trainer-agent/dist/cli.js is missing): run `npm run build` in the repository first\n');
  process.exit(1);
}
await import(cli.href);
