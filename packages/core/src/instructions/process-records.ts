import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CoreError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import { checkRecord } from './check-record.js';
import { buildDatasetInfo } from './dataset-info.js';
import type { InstructionDataset, SplitCounts } from './instruction.schema.js';
import { createLineWriter, type LineWriter } from './line-writer.js';
import { renderPromptTemplate, templateFields, type PromptTemplate } from './prompt-template.js';
import { readRecords, type RawRecord } from './read-records.js';
import { createFingerprintSet } from './fingerprint-set.js';
import { judgeRecord } from './scan-records.js';
import { planInstructionSplits, SPLIT_NAMES, type SplitRatios } from './split-plan.js';

export interface ProcessRecordsOptions {
  blobs: BlobStore;
  dataset: InstructionDataset;
  /** Blob prefix the output folder is published at (replaced whole). */
  outputKey: string;
  outputName: string;
  ratios: SplitRatios;
  seed: number;
  template: PromptTemplate;
  maxRecordBytes: number;
  /** Called with 0–100 as the two passes advance (whole percents, each once). */
  onProgress(percent: number): Promise<void> | void;
}

/** A growable bit per record: set for the records pass 1 kept. */
function createBitmap() {
  let bits = new Uint8Array(1024);
  return {
    set(i: number) {
      if (i >> 3 >= bits.length) {
        const next = new Uint8Array(Math.max(bits.length * 2, (i >> 3) + 1));
        next.set(bits);
        bits = next;
      }
      bits[i >> 3]! |= 1 << (i & 7);
    },
    has: (i: number) => i >> 3 < bits.length && (bits[i >> 3]! & (1 << (i & 7))) !== 0,
  };
}

/** Streams the stored upload's records, reporting progress over [from, from + span] percent by bytes read. */
async function* records(o: ProcessRecordsOptions, from: number, span: number): AsyncGenerator<RawRecord[]> {
  const body: Readable = await o.blobs.read(o.dataset.blob_key);
  let bytes = 0;
  let reported = -1;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      yield chunk;
    }
  }
  try {
    for await (const batch of readRecords(counted(), o.dataset.file_format, { maxRecordBytes: o.maxRecordBytes })) {
      yield batch;
      const percent = Math.floor(from + (span * bytes) / Math.max(1, o.dataset.size_bytes));
      if (percent > reported && percent < from + span) await o.onProgress((reported = percent));
    }
  } finally {
    body.destroy();
  }
}

/** Pass 1: which records are kept (valid, of the dataset's format, first of their content), and how many. */
async function countKept(o: ProcessRecordsOptions) {
  const seen = createFingerprintSet();
  const kept = createBitmap();
  let n = 0;
  for await (const batch of records(o, 0, 50)) {
    for (const raw of batch) {
      const verdict = judgeRecord(raw, seen);
      if (verdict.kind === 'valid' && verdict.normalized.format === o.dataset.record_format) {
        kept.set(raw.index);
        n += 1;
      }
    }
  }
  return { kept, n };
}

function renderLine(raw: RawRecord, template: PromptTemplate): string {
  const check = checkRecord(raw.value);
  if (!check.ok) throw new CoreError('INVALID_STATE', `record ${raw.index} changed between the two passes over the stored upload`, { reason: 'source_changed' });
  const text = renderPromptTemplate(template, templateFields(check));
  return `${JSON.stringify({ ...check.record, text })}\n`;
}

/**
 * Writes one processed output: pass 1 counts the kept records, a seeded plan assigns each a split
 * (one byte a record), pass 2 streams them to `train.jsonl`, `validation.jsonl`, `test.jsonl` (empty
 * splits are not written) with `text` = the rendered template, then `dataset_info.json`; the folder is
 * staged and published in one move. Lines keep the upload's order within each split.
 */
export async function processRecords(o: ProcessRecordsOptions): Promise<{ counts: SplitCounts; files: string[] }> {
  const { kept, n } = await countKept(o);
  const { counts, splitOf } = planInstructionSplits(n, o.ratios, o.seed);
  const staging = `instructions/${o.dataset.id}/.staging-${randomBytes(6).toString('hex')}`;
  const written = SPLIT_NAMES.filter((name) => counts[name] > 0).map((split) => ({ split, file: `${split}.jsonl` }));
  const writers = new Map<number, LineWriter>(written.map(({ split, file }) => [SPLIT_NAMES.indexOf(split), createLineWriter(o.blobs, `${staging}/${file}`)]));
  try {
    let ordinal = 0;
    for await (const batch of records(o, 50, 50)) {
      for (const raw of batch) {
        if (!kept.has(raw.index)) continue;
        await writers.get(splitOf[ordinal++]!)!.write(renderLine(raw, o.template));
      }
    }
    if (ordinal !== n) throw new CoreError('INVALID_STATE', `the stored upload gave ${ordinal} records on the second pass, ${n} on the first`, { reason: 'source_changed' });
    for (const writer of writers.values()) await writer.close();
    const info = buildDatasetInfo(o.outputName, o.dataset.record_format, written);
    await o.blobs.write(`${staging}/dataset_info.json`, `${JSON.stringify(info, null, 2)}\n`, { durable: false });
    await o.blobs.replacePrefix(staging, o.outputKey);
    await o.onProgress(100);
    return { counts, files: [...written.map((w) => w.file), 'dataset_info.json'] };
  } catch (error) {
    await Promise.all([...writers.values()].map((w) => w.abort(error as Error)));
    await o.blobs.delete(staging);
    throw error;
  }
}
