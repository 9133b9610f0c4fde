import type { InstructionRecordFormat } from './instruction.schema.js';
import type { InstructionSplitName } from './split-plan.js';

/** One `dataset_info.json` entry as LLaMA-Factory reads it. */
export interface DatasetInfoEntry {
  file_name: string;
  formatting: 'alpaca' | 'sharegpt';
  columns: Record<string, string>;
  tags?: Record<string, string>;
}

const ALPACA_COLUMNS = { prompt: 'instruction', query: 'input', response: 'output', system: 'system', history: 'history' };
const SHAREGPT_COLUMNS = { messages: 'conversations', system: 'system', tools: 'tools' };
const SHAREGPT_TAGS = {
  role_tag: 'from',
  content_tag: 'value',
  user_tag: 'human',
  assistant_tag: 'gpt',
  observation_tag: 'observation',
  function_tag: 'function_call',
  system_tag: 'system',
};

/**
 * The `dataset_info.json` of a processed output: one entry per written split, named
 * `<output_name>_<split>`, Alpaca columns or ShareGPT columns and tags (OpenAI records are written as ShareGPT).
 * @see https://github.com/hiyouga/LLaMA-Factory/blob/main/data/README.md
 * @example buildDatasetInfo('fin', 'alpaca', [{ split: 'train', file: 'train.jsonl' }])
 */
export function buildDatasetInfo(
  outputName: string,
  format: InstructionRecordFormat,
  files: readonly { split: InstructionSplitName; file: string }[],
): Record<string, DatasetInfoEntry> {
  const info: Record<string, DatasetInfoEntry> = {};
  for (const { split, file } of files) {
    info[`${outputName}_${split}`] =
      format === 'alpaca'
        ? { file_name: file, formatting: 'alpaca', columns: { ...ALPACA_COLUMNS } }
        : { file_name: file, formatting: 'sharegpt', columns: { ...SHAREGPT_COLUMNS }, tags: { ...SHAREGPT_TAGS } };
  }
  return info;
}
