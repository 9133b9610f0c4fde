import { describeType, textField, type AlpacaRecord, type RecordProblem } from './record-problem.js';

function checkHistory(value: unknown, problems: RecordProblem[]): [string, string][] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push({ code: 'wrong_type', field: 'history', message: `history must be an array of [prompt, response] pairs, not ${describeType(value)}` });
    return undefined;
  }
  const pairs: [string, string][] = [];
  for (const [i, pair] of value.entries()) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      problems.push({ code: 'wrong_type', field: `history[${i}]`, message: `history[${i}] must be a [prompt, response] pair of strings` });
      return undefined;
    }
    pairs.push([pair[0], pair[1]]);
  }
  return pairs;
}

/**
 * Checks an Alpaca record (`instruction`, optional `input`, `output` — or `response` as the seed 003
 * origin's sample data names it —, optional `system` and `history`); unknown keys are dropped.
 * @see https://github.com/hiyouga/LLaMA-Factory/blob/main/data/README.md
 */
export function checkAlpacaRecord(value: Record<string, unknown>): { record?: AlpacaRecord; problems: RecordProblem[] } {
  const problems: RecordProblem[] = [];
  const outputField = value.output === undefined && value.response !== undefined ? 'response' : 'output';
  const instruction = textField(value.instruction, 'instruction', problems, { required: true });
  const input = textField(value.input, 'input', problems, { required: false });
  const output = textField(value[outputField], outputField, problems, { required: true });
  const system = textField(value.system, 'system', problems, { required: false });
  const history = checkHistory(value.history, problems);
  if (problems.length > 0) return { problems };
  return { record: { instruction: instruction!, input: input!, output: output!, system: system!, history: history! }, problems };
}
