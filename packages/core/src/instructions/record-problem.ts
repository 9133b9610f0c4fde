import type { InstructionIssueCode, InstructionRecordFormat } from './instruction.schema.js';

/** One thing wrong with a record, before it is placed in the file (index, line). */
export interface RecordProblem {
  code: InstructionIssueCode;
  field?: string;
  message: string;
}

/** An Alpaca record as written to processed splits (LLaMA-Factory `alpaca` columns). */
export interface AlpacaRecord {
  instruction: string;
  input: string;
  output: string;
  system: string;
  history: [string, string][];
}

/** One turn of a conversation, in ShareGPT tags (`human`, `gpt`, `observation`, `function_call`). */
export interface ConversationTurn {
  from: string;
  value: string;
}

/** A ShareGPT or OpenAI-messages record, normalized to ShareGPT `conversations` (system turn moved to `system`). */
export interface ConversationRecord {
  conversations: ConversationTurn[];
  system: string;
  tools: string;
}

/** A valid record in its normalized shape. */
export type NormalizedRecord =
  | { format: 'alpaca'; record: AlpacaRecord }
  | { format: 'sharegpt' | 'openai'; record: ConversationRecord };

/** What checking one parsed value gives: the normalized record, or why it is not one. */
export type RecordCheck =
  | ({ ok: true } & NormalizedRecord)
  | { ok: false; format: InstructionRecordFormat | undefined; problems: RecordProblem[] };

export const describeType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;

/** Checks a required or optional text field; pushes a problem and returns undefined when it is not usable text. */
export function textField(
  value: unknown,
  field: string,
  problems: RecordProblem[],
  options: { required: boolean },
): string | undefined {
  if (value === undefined || value === null) {
    if (!options.required) return '';
    problems.push({ code: 'missing_field', field, message: `${field} is missing` });
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.push({ code: 'wrong_type', field, message: `${field} must be a string, not ${describeType(value)}` });
    return undefined;
  }
  if (options.required && value.trim() === '') {
    problems.push({ code: 'empty_text', field, message: `${field} is empty` });
    return undefined;
  }
  return value;
}
