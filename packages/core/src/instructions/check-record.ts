import type { InstructionRecordFormat } from './instruction.schema.js';
import { checkAlpacaRecord } from './alpaca-record.js';
import { checkConversationRecord } from './conversation-record.js';
import { describeType, type RecordCheck } from './record-problem.js';

const ALPACA_KEYS = ['instruction', 'output', 'response'] as const;

/** The record format a parsed object claims by its keys: `conversations`, then `messages`, then Alpaca fields. */
export function detectRecordFormat(value: Record<string, unknown>): InstructionRecordFormat | undefined {
  if (Object.hasOwn(value, 'conversations')) return 'sharegpt';
  if (Object.hasOwn(value, 'messages')) return 'openai';
  if (ALPACA_KEYS.some((key) => Object.hasOwn(value, key))) return 'alpaca';
  return undefined;
}

/**
 * Detects the format of one parsed record and checks it: the normalized record, or every problem found.
 * @example checkRecord({ instruction: 'Hi', response: 'Hello' }) // { ok: true, format: 'alpaca', record: {…} }
 */
export function checkRecord(value: unknown): RecordCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, format: undefined, problems: [{ code: 'not_an_object', message: `record must be an object, not ${describeType(value)}` }] };
  }
  const fields = value as Record<string, unknown>;
  const format = detectRecordFormat(fields);
  if (format === undefined) {
    const keys = Object.keys(fields).slice(0, 8).map((k) => JSON.stringify(k.slice(0, 40)));
    return {
      ok: false,
      format,
      problems: [{ code: 'unknown_format', message: `record has none of instruction/output (Alpaca), conversations (ShareGPT) or messages (OpenAI); keys: ${keys.join(', ') || 'none'}` }],
    };
  }
  if (format === 'alpaca') {
    const { record, problems } = checkAlpacaRecord(fields);
    return record === undefined ? { ok: false, format, problems } : { ok: true, format, record };
  }
  const { record, problems } = checkConversationRecord(format, fields);
  return record === undefined ? { ok: false, format, problems } : { ok: true, format, record };
}
