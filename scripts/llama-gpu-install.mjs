// Root postinstall, second step: node-llama-cpp's GPU build, opt-in.
//
// package.json#overrides maps node-llama-cpp's CUDA and Vulkan prebuilt binaries (about 700 MB) to an
// empty local package, so a default `npm ci` carries only the CPU build (macOS gets its Metal build as
// usual). A GPU user asks for one: `YOLOOPS_LLAMA_GPU=cuda npm ci` (or `vulkan`; or run
// `node scripts/llama-gpu-install.mjs cuda` after an install). This installs the prebuilt packages of
// node-llama-cpp's exact version beside it (npm into a scratch folder, then moved in), without touching
// package.json or the lockfile. `npm ci` starts from an empty node_modules: ask again each time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const want = (process.argv[2] ?? process.env.YOLOOPS_LLAMA_GPU ?? '').trim().toLowerCase();
if (!want || want === 'none' || want === 'false' || want === 'cpu') process.exit(0);
if (want !== 'cuda' && want !== 'vulkan') {
  console.error(`YOLOOPS_LLAMA_GPU must be cuda or vulkan (got "${want}")`);
  process.exit(1);
}
const platform = { linux: 'linux', win32: 'win' }[process.platform];
if (!platform || process.arch !== 'x64') {
  console.log(`node-llama-cpp: no prebuilt ${want} build for ${process.platform}-${process.arch} (macOS uses its Metal build already); nothing installed`);
  process.exit(0);
}

// node-llama-cpp as @yoloops/core resolves it (its exports do not include package.json: walk up from its entry).
const require = createRequire(new URL('../packages/core/package.json', import.meta.url));
let llamaDir = path.dirname(require.resolve('node-llama-cpp'));
while (!existsSync(path.join(llamaDir, 'package.json')) || JSON.parse(readFileSync(path.join(llamaDir, 'package.json'), 'utf8')).name !== 'node-llama-cpp') {
  if (path.dirname(llamaDir) === llamaDir) throw new Error('node-llama-cpp is not installed');
  llamaDir = path.dirname(llamaDir);
}
const { version } = JSON.parse(readFileSync(path.join(llamaDir, 'package.json'), 'utf8'));
const names = want === 'cuda' ? [`${platform}-x64-cuda`, `${platform}-x64-cuda-ext`] : [`${platform}-x64-vulkan`];
const target = path.join(llamaDir, '..', '@node-llama-cpp');
if (names.every((n) => existsSync(path.join(target, n, 'bins')))) {
  console.log(`node-llama-cpp: the ${want} build is installed already`);
  process.exit(0);
}

console.log(`node-llama-cpp: installing its ${want} build ${version} (${names.join(', ')})`);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'yoloops-llama-gpu-'));
try {
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const args = ['install', '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', scratch, ...names.map((n) => `@node-llama-cpp/${n}@${version}`)];
  // Run outside this project: its overrides would replace these very packages with the empty one.
  const { npm_package_json: _json, npm_config_local_prefix: _prefix, ...env } = process.env;
  const run = spawnSync(npm[0], [...npm.slice(1), ...args], { cwd: scratch, stdio: 'inherit', env, shell: process.platform === 'win32' && npm.length === 1 });
  if (run.status !== 0) process.exit(run.status ?? 1);
  for (const name of names) {
    const from = path.join(scratch, 'node_modules', '@node-llama-cpp', name);
    const to = path.join(target, name);
    rmSync(to, { recursive: true, force: true });
    try {
      renameSync(from, to);
    } catch {
      cpSync(from, to, { recursive: true });
    }
  }
  console.log(`node-llama-cpp: ${want} build installed; start the server with the generator's gpu option (e.g. "auto")`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
