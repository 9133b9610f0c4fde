import * as fsp from 'node:fs/promises';
import path from 'node:path';

/** A metadata value: strings and booleans by JS type; numbers and arrays tagged with their GGUF type. */
export type GgufMeta = string | boolean | { u32: number } | { f32: number } | { strings: string[] } | { f32s: number[] } | { i32s: number[] } | { raw: Buffer };
export interface GgufTensorSpec {
  name: string;
  /** ggml order: `[row length, rows]`. */
  dims: number[];
  data: Float32Array;
  /** Written in the tensor info instead of F32 (0) / the packed offset: for crafting broken files. */
  type?: number;
  offset?: number;
}

const ALIGN = 32;
const pad = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
const f32 = (n: number) => { const b = Buffer.alloc(4); b.writeFloatLE(n); return b; };
const i32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32LE(n); return b; };
const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);

function value(v: GgufMeta): Buffer {
  if (typeof v === 'string') return Buffer.concat([u32(8), str(v)]);
  if (typeof v === 'boolean') return Buffer.concat([u32(7), Buffer.from([v ? 1 : 0])]);
  if ('raw' in v) return v.raw;
  if ('u32' in v) return Buffer.concat([u32(4), u32(v.u32)]);
  if ('f32' in v) return Buffer.concat([u32(6), f32(v.f32)]);
  const [type, items] = 'strings' in v ? [8, v.strings.map(str)] : 'f32s' in v ? [6, v.f32s.map(f32)] : [5, v.i32s.map(i32)];
  return Buffer.concat([u32(9), u32(type), u64(items.length), ...items]);
}

/** A GGUF v3 file (F32 tensors, alignment 32) as bytes: the layout llama.cpp reads (`headerOnly`: up to the tensor data). */
export function encodeGguf(metadata: Record<string, GgufMeta>, tensors: readonly GgufTensorSpec[], options: { headerOnly?: boolean; version?: number } = {}): Buffer {
  const head: Buffer[] = [Buffer.from('GGUF'), u32(options.version ?? 3), u64(tensors.length), u64(Object.keys(metadata).length)];
  for (const [key, v] of Object.entries(metadata)) head.push(str(key), value(v));
  let offset = 0;
  for (const t of tensors) {
    head.push(str(t.name), u32(t.dims.length), ...t.dims.map(u64), u32(t.type ?? 0), u64(t.offset ?? offset));
    offset += pad(t.data.byteLength);
  }
  const header = Buffer.concat(head);
  const out = Buffer.alloc(pad(header.length) + (options.headerOnly ? 0 : offset));
  header.copy(out);
  let at = pad(header.length);
  for (const t of options.headerOnly ? [] : tensors) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, at);
    at += pad(t.data.byteLength);
  }
  return out;
}

/** Seeded uniform numbers in [-scale, scale) (mulberry32). */
function randoms(seed: number, count: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export interface TinyLlamaShape {
  embd: number;
  layers: number;
  ff: number;
  heads: number;
  context: number;
}
export const TINY_SHAPE: TinyLlamaShape = { embd: 64, layers: 2, ff: 128, heads: 4, context: 256 };
/** `<unk>`, `<s>`, `</s>`, the 256 byte tokens, then `▁` (a space). */
export const TINY_VOCAB = ['<unk>', '<s>', '</s>', ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`), '\u2581'];

/** The metadata and tensors of a llama-architecture model with seeded random F32 weights and a byte-level SPM vocabulary. */
export function tinyLlama(seed = 1, shape: TinyLlamaShape = TINY_SHAPE): { metadata: Record<string, GgufMeta>; tensors: GgufTensorSpec[] } {
  const { embd, layers, ff, heads, context } = shape;
  const vocab = TINY_VOCAB.length;
  let n = 0;
  const w = (name: string, dims: number[], scale = 1 / Math.sqrt(dims[0]!)) => ({ name, dims, data: randoms(seed * 1000 + n++, dims[0]! * (dims[1] ?? 1), scale) });
  const ones = (name: string) => ({ name, dims: [embd], data: new Float32Array(embd).fill(1) });
  const tensors: GgufTensorSpec[] = [w('token_embd.weight', [embd, vocab], 1), ones('output_norm.weight'), w('output.weight', [embd, vocab], 4 / Math.sqrt(embd))];
  for (let i = 0; i < layers; i++) {
    const b = `blk.${i}`;
    tensors.push(ones(`${b}.attn_norm.weight`), w(`${b}.attn_q.weight`, [embd, embd]), w(`${b}.attn_k.weight`, [embd, embd]), w(`${b}.attn_v.weight`, [embd, embd]));
    tensors.push(w(`${b}.attn_output.weight`, [embd, embd]), ones(`${b}.ffn_norm.weight`), w(`${b}.ffn_gate.weight`, [embd, ff]), w(`${b}.ffn_up.weight`, [embd, ff]), w(`${b}.ffn_down.weight`, [ff, embd]));
  }
  const metadata: Record<string, GgufMeta> = {
    'general.architecture': 'llama', 'general.name': `tiny-llama-${seed}`, 'general.file_type': { u32: 0 },
    'llama.context_length': { u32: context }, 'llama.embedding_length': { u32: embd }, 'llama.block_count': { u32: layers },
    'llama.feed_forward_length': { u32: ff }, 'llama.attention.head_count': { u32: heads }, 'llama.attention.head_count_kv': { u32: heads },
    'llama.attention.layer_norm_rms_epsilon': { f32: 1e-5 }, 'llama.rope.dimension_count': { u32: embd / heads },
    'tokenizer.ggml.model': 'llama', 'tokenizer.ggml.tokens': { strings: TINY_VOCAB },
    'tokenizer.ggml.scores': { f32s: TINY_VOCAB.map((_, i) => (i === vocab - 1 ? 0 : -1000 - i)) },
    'tokenizer.ggml.token_type': { i32s: TINY_VOCAB.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : i < vocab - 1 ? 6 : 1)) },
    'tokenizer.ggml.bos_token_id': { u32: 1 }, 'tokenizer.ggml.eos_token_id': { u32: 2 }, 'tokenizer.ggml.unknown_token_id': { u32: 0 },
    'tokenizer.ggml.add_bos_token': true, 'tokenizer.ggml.add_eos_token': false, 'tokenizer.ggml.add_space_prefix': false,
  };
  return { metadata, tensors };
}

/** A LoRA adapter GGUF for {@link tinyLlama}: rank-`rank` A/B pairs on every attn_q and on output.weight. */
export function tinyLora(seed = 7, shape: TinyLlamaShape = TINY_SHAPE, rank = 4, alpha = 8): { metadata: Record<string, GgufMeta>; tensors: GgufTensorSpec[] } {
  const targets: [string, number, number][] = [['output.weight', shape.embd, TINY_VOCAB.length]];
  for (let i = 0; i < shape.layers; i++) targets.push([`blk.${i}.attn_q.weight`, shape.embd, shape.embd]);
  const tensors = targets.flatMap(([name, inDim, outDim], k) => [
    { name: `${name}.lora_a`, dims: [inDim, rank], data: randoms(seed * 1000 + 2 * k, inDim * rank, 1) },
    { name: `${name}.lora_b`, dims: [rank, outDim], data: randoms(seed * 1000 + 2 * k + 1, rank * outDim, 1) },
  ]);
  return { metadata: { 'general.architecture': 'llama', 'general.type': 'adapter', 'general.name': `tiny-lora-${seed}`, 'adapter.type': 'lora', 'adapter.lora.alpha': { f32: alpha } }, tensors };
}

/** Writes the tiny model (and its LoRA adapter) as GGUF files into `dir`; returns their paths. */
export async function writeTinyGguf(dir: string, options: { seed?: number; shape?: TinyLlamaShape } = {}): Promise<{ model: string; lora: string }> {
  const model = tinyLlama(options.seed, options.shape);
  const lora = tinyLora(7, options.shape);
  const paths = { model: path.join(dir, 'tiny-llama.gguf'), lora: path.join(dir, 'tiny-lora.gguf') };
  await fsp.writeFile(paths.model, encodeGguf(model.metadata, model.tensors));
  await fsp.writeFile(paths.lora, encodeGguf(lora.metadata, lora.tensors));
  return paths;
}
