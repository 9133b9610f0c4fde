#!/usr/bin/env node
// Renders /docs in headless Chromium and fails unless Swagger UI drew every operation of /openapi.json
// with no Content-Security-Policy violation and no uncaught script error. CI runs it after `npm test`
// (it is not part of `npm test`, which needs Node only). Builds nothing itself.
//
//   node scripts/check-docs-chromium.mjs          the server from source, as the tests start it
//   node scripts/check-docs-chromium.mjs --dist   the built server, as `npm start` runs it (build first)
//
// CHROMIUM names the browser (default `chromium` on the PATH: apt-get install -y chromium).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { dist: { type: 'boolean', default: false } } });
const CHROMIUM = process.env.CHROMIUM || 'chromium';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];
const serverArgs = values.dist
  ? [path.join(ROOT, 'packages/server-express/dist/cli.js'), 'serve']
  : ['--conditions=source', '--import', 'tsx', path.join(ROOT, 'packages/server-express/src/cli.ts'), 'serve'];

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts `yoloops serve` in its own process group; resolves once it prints its listening line. */
function startServer(port, dataDir) {
  const child = spawn(process.execPath, serverArgs, {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', YOLOOPS_DATA_DIR: dataDir },
  });
  let output = '';
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not listen within 60 s:\n${output}`)), 60_000);
    const keep = (chunk) => {
      output += chunk.toString();
      if (output.includes('yoloops listening on')) {
        clearTimeout(timer);
        resolve(stop);
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${output}`)));
  }).catch((error) => {
    stop();
    throw error;
  });
}

/** Chromium's rendered DOM of `url` and what it logged (console messages, CSP violations). */
function renderDom(url, profileDir) {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profileDir}`,
    '--enable-logging=stderr', '--v=0', '--virtual-time-budget=15000', '--dump-dom', url];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 120_000, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error?.code === 'ENOENT') reject(new Error(`${CHROMIUM} not found: apt-get install -y chromium, or set CHROMIUM to the browser`));
      else if (error) reject(new Error(`${CHROMIUM} failed (${error.code ?? error.signal}):\n${stderr.slice(-4000)}`));
      else resolve({ dom: stdout, log: stderr });
    });
  });
}

/** What is wrong with the rendered page, as sentences; empty when Swagger UI drew every operation. */
function problemsOf(dom, log, spec) {
  const problems = [];
  if (!/<title>[^<]*yoloops[^<]*<\/title>/.test(dom)) problems.push('the page title does not name yoloops');
  const operations = Object.values(spec.paths).flatMap((item) => METHODS.filter((m) => item[m]).map((m) => ({ method: m, id: item[m].operationId })));
  const missing = operations.filter(({ method, id }) => !new RegExp(`<div class="opblock opblock-${method}\\b[^"]*" id="operations-[^"]+-${id}"`).test(dom));
  if (operations.length === 0) problems.push('/openapi.json lists no operations');
  if (missing.length > 0) problems.push(`${missing.length} of ${operations.length} operations not rendered: ${missing.map((o) => o.id).join(', ')}`);
  if (!dom.includes('data-path="/health"')) problems.push('no rendered operation for GET /health');
  const bad = log.split('\n').filter((line) => /Content Security Policy|Refused to|Uncaught|Failed to load resource/.test(line));
  if (bad.length > 0) problems.push(`the browser reported:\n  ${bad.map((l) => l.slice(0, 400)).join('\n  ')}`);
  return { problems, rendered: operations.length - missing.length, total: operations.length };
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-docs-check-'));
const profileDir = mkdtempSync(path.join(tmpdir(), 'yoloops-docs-chromium-'));
let stopServer = () => {};
try {
  const port = await freePort();
  stopServer = await startServer(port, dataDir);
  const base = `http://127.0.0.1:${port}`;
  const spec = await (await fetch(`${base}/openapi.json`)).json();
  const { dom, log } = await renderDom(`${base}/docs`, profileDir);
  const { problems, rendered, total } = problemsOf(dom, log, spec);
  if (problems.length > 0) throw new Error(`/docs check failed (${values.dist ? 'dist' : 'source'} server):\n- ${problems.join('\n- ')}`);
  console.log(`/docs check passed (${values.dist ? 'dist' : 'source'} server, ${CHROMIUM}): Swagger UI rendered ${rendered}/${total} operations of /openapi.json, no CSP violation or script error`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  stopServer();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
}
