import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import JSZip from 'jszip';

/** Repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The repository's fixtures folder (real third-party data; see fixtures/README.md and NOTICE). */
export const FIXTURES_DIR = path.join(REPO_ROOT, 'fixtures');

/** Absolute path of a file or folder under `fixtures/`; throws naming the path when it is missing (never skips silently). */
export function fixturePath(...parts: string[]): string {
  const p = path.resolve(FIXTURES_DIR, ...parts);
  if (!existsSync(p)) throw new Error(`missing test fixture: ${p} (fixtures/ is part of the repository: is this checkout complete?)`);
  return p;
}

/** Every file below `dir`, as `/`-separated paths relative to it, sorted. */
export function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      return statSync(full).isDirectory() ? listFiles(full, rel) : [rel];
    });
}

/** Zips files given as `zip path → bytes` (DEFLATE). */
export async function zipFiles(files: Record<string, Buffer | string>): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, data] of Object.entries(files)) zip.file(name, data);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** Zips a folder from disk under an optional top folder name. */
export async function zipDirectory(dir: string, top = ''): Promise<Buffer> {
  const files: Record<string, Buffer> = {};
  for (const rel of listFiles(dir)) files[top ? `${top}/${rel}` : rel] = readFileSync(path.join(dir, rel));
  return zipFiles(files);
}

/** Reads a ZIP into `name → bytes` (file entries only). */
export async function unzipToMap(bytes: Uint8Array): Promise<Map<string, Buffer>> {
  const zip = await JSZip.loadAsync(bytes);
  const out = new Map<string, Buffer>();
  for (const entry of Object.values(zip.files)) if (!entry.dir) out.set(entry.name, await entry.async('nodebuffer'));
  return out;
}
