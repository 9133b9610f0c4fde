import { describeType, textField, type ConversationRecord, type ConversationTurn, type RecordProblem } from './record-problem.js';

/** Roles each source format accepts, mapped to ShareGPT tags. */
const ROLE_MAPS = {
  sharegpt: { human: 'human', gpt: 'gpt', system: 'system', observation: 'observation', function_call: 'function_call' },
  openai: { user: 'human', assistant: 'gpt', system: 'system', tool: 'observation' },
} as const satisfies Record<string, Record<string, string>>;

const SOURCE = {
  sharegpt: { list: 'conversations', role: 'from', content: 'value' },
  openai: { list: 'messages', role: 'role', content: 'content' },
} as const;

const USER_SIDE = new Set(['human', 'observation']);
const ASSISTANT_SIDE = new Set(['gpt', 'function_call']);

type Source = keyof typeof SOURCE;

function readTurn(source: Source, turn: unknown, at: string, problems: RecordProblem[]): ConversationTurn | undefined {
  const { role, content } = SOURCE[source];
  if (typeof turn !== 'object' || turn === null || Array.isArray(turn)) {
    problems.push({ code: 'wrong_type', field: at, message: `${at} must be an object, not ${describeType(turn)}` });
    return undefined;
  }
  const fields = turn as Record<string, unknown>;
  const from = textField(fields[role], `${at}.${role}`, problems, { required: true });
  const value = textField(fields[content], `${at}.${content}`, problems, { required: true });
  if (from === undefined || value === undefined) return undefined;
  const roles: Record<string, string> = ROLE_MAPS[source];
  const mapped = Object.hasOwn(roles, from) ? roles[from] : undefined;
  if (mapped === undefined) {
    problems.push({ code: 'bad_role', field: `${at}.${role}`, message: `${at}.${role} is ${JSON.stringify(from)}; expected one of ${Object.keys(roles).join(', ')}` });
    return undefined;
  }
  return { from: mapped, value };
}

/** Human (or tool result) turns at even positions, assistant turns at odd ones, ending with the assistant: what LLaMA-Factory trains on. */
function checkOrder(source: Source, turns: ConversationTurn[], offset: number, problems: RecordProblem[]): void {
  const { list, role } = SOURCE[source];
  for (const [i, turn] of turns.entries()) {
    const expected = i % 2 === 0 ? USER_SIDE : ASSISTANT_SIDE;
    if (!expected.has(turn.from)) {
      const side = i % 2 === 0 ? 'a user turn' : 'an assistant turn';
      const at = `${list}[${i + offset}].${role}`;
      problems.push({ code: 'bad_turn_order', field: at, message: `${at} is a ${turn.from} turn where ${side} was expected (turns alternate user, assistant)` });
      return;
    }
  }
  if (turns.length === 0 || turns.length % 2 === 1) {
    problems.push({ code: 'bad_turn_order', field: list, message: `${list} must end with an assistant turn` });
  }
}

/**
 * Checks a ShareGPT (`conversations[{from,value}]`) or OpenAI (`messages[{role,content}]`) record and
 * normalizes it to ShareGPT tags; a leading system turn becomes `system` (over a `system` field).
 * @see https://github.com/hiyouga/LLaMA-Factory/blob/main/data/README.md
 */
export function checkConversationRecord(source: Source, value: Record<string, unknown>): { record?: ConversationRecord; problems: RecordProblem[] } {
  const problems: RecordProblem[] = [];
  const { list } = SOURCE[source];
  const raw = value[list];
  if (!Array.isArray(raw)) {
    problems.push({ code: 'wrong_type', field: list, message: `${list} must be an array of turns, not ${describeType(raw)}` });
    return { problems };
  }
  if (raw.length === 0) return { problems: [{ code: 'empty_text', field: list, message: `${list} is empty` }] };
  const turns = raw.map((turn, i) => readTurn(source, turn, `${list}[${i}]`, problems));
  let system = source === 'sharegpt' ? textField(value.system, 'system', problems, { required: false }) : '';
  const tools = source === 'sharegpt' ? textField(value.tools, 'tools', problems, { required: false }) : '';
  if (problems.length > 0) return { problems };
  let conversations = turns as ConversationTurn[];
  if (conversations[0]!.from === 'system') {
    system = conversations[0]!.value;
    conversations = conversations.slice(1);
  }
  checkOrder(source, conversations, raw.length - conversations.length, problems);
  if (problems.length > 0) return { problems };
  return { record: { conversations, system: system!, tools: tools! }, problems };
}
