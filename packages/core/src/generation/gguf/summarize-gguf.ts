import type { LlmInfo } from '../llm-info.schema.js';
import { LLAMA_FILE_TYPES } from './ggml-types.js';
import type { GgufFile, GgufValue } from './read-gguf.js';

const str = (v: GgufValue | undefined) => (typeof v === 'string' ? v : undefined);
const num = (v: GgufValue | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const int = (v: GgufValue | undefined) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
const omitUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * The registry's summary of a checked GGUF file: architecture, sizes, vocabulary, file type, parameter
 * count and, for a LoRA adapter (`general.type = "adapter"`), its type and alpha.
 */
export function summarizeGguf(file: GgufFile): LlmInfo {
  const m = file.metadata;
  const architecture = str(m.get('general.architecture')) ?? 'unknown';
  const arch = (key: string) => int(m.get(`${architecture}.${key}`));
  const tokens = m.get('tokenizer.ggml.tokens');
  const fileType = int(m.get('general.file_type'));
  const tensorTypes: Record<string, number> = {};
  let parameters = 0;
  for (const t of file.tensors) {
    tensorTypes[t.typeName] = (tensorTypes[t.typeName] ?? 0) + 1;
    parameters += t.dims.reduce((n, d) => n * d, 1);
  }
  return omitUndefined<LlmInfo>({
    format: 'gguf',
    gguf_version: file.version,
    kind: str(m.get('general.type')) === 'adapter' ? 'adapter' : 'model',
    architecture,
    name: str(m.get('general.name')),
    adapter_type: str(m.get('adapter.type')),
    lora_alpha: num(m.get('adapter.lora.alpha')),
    context_length: arch('context_length'),
    embedding_length: arch('embedding_length'),
    block_count: arch('block_count'),
    vocab_size: typeof tokens === 'object' ? tokens.length : arch('vocab_size'),
    tokenizer: str(m.get('tokenizer.ggml.model')),
    file_type: fileType,
    file_type_name: fileType === undefined ? undefined : LLAMA_FILE_TYPES[fileType],
    parameter_count: parameters,
    tensor_count: file.tensors.length,
    tensor_types: tensorTypes,
  });
}
