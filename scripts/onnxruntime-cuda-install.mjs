// Root postinstall: onnxruntime-node's CUDA opt-in, and nothing else.
//
// package.json#allowScripts denies onnxruntime-node's own postinstall: on Linux x64 it downloads the
// CUDA provider libraries from NuGet unless told to skip, which fails an offline `npm ci` and is wasted
// on CPU machines. GPU users opt in the way onnxruntime-node documents, `ONNXRUNTIME_NODE_INSTALL=cuda12
// npm ci` (or the older ONNXRUNTIME_NODE_INSTALL_CUDA), and this runs the package's own installer with
// that setting. npm 10 ignores allowScripts and has run that installer already: when the files it
// installs for this platform are there, this stops.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const flag = process.env.ONNXRUNTIME_NODE_INSTALL || process.env.ONNXRUNTIME_NODE_INSTALL_CUDA;
if (!flag || flag === 'skip') process.exit(0);

const require = createRequire(import.meta.url);
const packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
const platform = `${process.platform}/${process.arch}`;

/** The files onnxruntime-node's installer adds for this platform (empty when it adds none, or its metadata moved). */
function installedFiles() {
  try {
    const metadata = require(path.join(packageDir, 'script/install-metadata.js'));
    const names = metadata.requirements?.[platform] ?? [];
    return names.flatMap((name) => Object.keys(metadata.manifests?.[`${platform}:${name}`] ?? {})).map((file) => path.join(packageDir, 'bin/napi-v6', platform, file));
  } catch {
    return [];
  }
}

const files = installedFiles();
if (files.length > 0 && files.every((file) => existsSync(file))) {
  console.log(`onnxruntime-node: the ${flag} files are installed already`);
  process.exit(0);
}
console.log(`onnxruntime-node: installing ${flag} (ONNXRUNTIME_NODE_INSTALL) with the package's own installer`);
// Run from here, npm's variables would name this project's package.json: the installer (1.30) would take
// itself for a checkout of onnxruntime and stop, because it reads `cuda12` as "no flag" and then checks that.
const { npm_package_json: _json, npm_config_local_prefix: _prefix, ...env } = process.env;
const run = spawnSync(process.execPath, [path.join(packageDir, 'script/install.js')], { cwd: packageDir, stdio: 'inherit', env });
process.exit(run.status ?? 1);
