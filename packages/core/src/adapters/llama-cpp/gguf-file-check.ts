import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../../errors.js';
import { readGguf } from '../../generation/gguf/read-gguf.js';
import { summarizeGguf } from '../../generation/gguf/summarize-gguf.js';
import type { LlmInfo } from '../../generation/llm-info.schema.js';
import { openFileRangeReader } from '../fs/fs-range-reader.js';

/**
 * Checks a local GGUF with the GGUF reader before llama.cpp may load it (once per path, size and mtime;
 * a failure is not remembered) and that it is the kind wanted: a base model or a LoRA adapter.
 */
export function createGgufFileCheck(): (file: string, want: LlmInfo['kind']) => Promise<LlmInfo> {
  const checked = new Map<string, Promise<LlmInfo>>();
  return async function check(file: string, want: LlmInfo['kind']): Promise<LlmInfo> {
    const stat = await fsp.stat(file).catch(() => undefined);
    if (!stat?.isFile()) throw new ValidationError(`${path.basename(file)}: the model file is missing`, { reason: 'model_file_missing' });
    const key = `${file}|${stat.size}|${stat.mtimeMs}`;
    if (!checked.has(key)) {
      checked.set(key, (async () => {
        const reader = await openFileRangeReader(file);
        try {
          return summarizeGguf(await readGguf(reader, path.basename(file)));
        } finally {
          await reader.close();
        }
      })());
      checked.get(key)!.catch(() => checked.delete(key));
    }
    const info = await checked.get(key)!;
    if (info.kind !== want) throw new ValidationError(`${path.basename(file)}: a GGUF ${info.kind} where ${want === 'model' ? 'a base model' : 'a LoRA adapter'} is needed`, { reason: 'invalid_gguf' });
    return info;
  };
}
