import { readFileSync } from 'node:fs';

/**
 * The version of this package, read from its package.json (one folder above both `src/` and the built
 * `dist/`, so this file must stay directly in `src/`).
 */
export const SERVER_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
