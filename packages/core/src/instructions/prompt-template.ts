import { ValidationError } from '../errors.js';
import type { NormalizedRecord } from './record-problem.js';

/** The seed 003 origin's default template (app/scripts/process_data.py). */
export const DEFAULT_PROMPT_TEMPLATE = '### 指令:\n{instruction}\n\n### 回答:\n{response}';

/** Placeholders a template may name; `response` and `output` are the same field. */
export const TEMPLATE_FIELDS = ['instruction', 'input', 'output', 'response', 'system'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** A parsed template: literal text and placeholders, in order. */
export type PromptTemplate = readonly (string | { field: TemplateField })[];

const MAX_TEMPLATE_CHARS = 64 * 1024;
const isField = (name: string): name is TemplateField => (TEMPLATE_FIELDS as readonly string[]).includes(name);
const invalid = (message: string, details: Record<string, unknown> = {}) => new ValidationError(message, { reason: 'invalid_template', details: { field: 'template', ...details } });

/**
 * Parses a template in Python `str.format` syntax as the origin used it: `{field}` placeholders,
 * `{{` and `}}` for literal braces; an unknown placeholder, a format spec or a lone brace is a `ValidationError`.
 * @example parsePromptTemplate('Q: {instruction}\nA: {response}')
 */
export function parsePromptTemplate(template: string): PromptTemplate {
  if (template.length > MAX_TEMPLATE_CHARS) throw invalid(`template is longer than ${MAX_TEMPLATE_CHARS} characters`);
  const parts: (string | { field: TemplateField })[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      text += c;
      i += 1;
    } else if (c === '}') {
      throw invalid(`template has a lone "}" at character ${i + 1} (write "}}" for a literal brace)`);
    } else if (c === '{') {
      const close = template.indexOf('}', i + 1);
      if (close === -1) throw invalid(`template has an unclosed "{" at character ${i + 1} (write "{{" for a literal brace)`);
      const name = template.slice(i + 1, close);
      if (!isField(name)) {
        throw invalid(`template placeholder {${name.slice(0, 60)}} is not a record field; use ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(', ')}`, { placeholder: name.slice(0, 60) });
      }
      if (text !== '') parts.push(text);
      parts.push({ field: name });
      text = '';
      i = close;
    } else {
      text += c;
    }
  }
  if (text !== '') parts.push(text);
  return parts;
}

/**
 * The template's fields of a record. Alpaca: its own fields. Conversations: the last user turn is
 * `instruction`, the final assistant turn `response` (earlier turns stay in `conversations`), `input` is empty.
 */
export function templateFields(normalized: NormalizedRecord): Record<TemplateField, string> {
  if (normalized.format === 'alpaca') {
    const r = normalized.record;
    return { instruction: r.instruction, input: r.input, output: r.output, response: r.output, system: r.system };
  }
  const turns = normalized.record.conversations;
  const response = turns.at(-1)!.value;
  return { instruction: turns.at(-2)!.value, input: '', output: response, response, system: normalized.record.system };
}

/** Renders a parsed template with a record's fields. */
export function renderPromptTemplate(template: PromptTemplate, fields: Record<TemplateField, string>): string {
  let out = '';
  for (const part of template) out += typeof part === 'string' ? part : fields[part.field];
  return out;
}
