/** Metric values of one logging step (loss, eval_loss, lr, epoch, grad_norm…); null = not a finite number. */
export type StepValues = Record<string, number | null>;

/** One logging step as the agent reports it. */
export interface StepRow {
  step: number;
  values: StepValues;
}

/** Where the trainer is: LLaMA-Factory's `percentage` of `current_steps`/`total_steps`. */
export interface StepProgress {
  percentage: number;
  current_steps: number;
  total_steps: number;
  remaining_time?: string;
}

/** Fields of a trainer_log.jsonl line or log_history entry that say where, not what: never stored as values. */
const POSITION = new Set(['current_steps', 'total_steps', 'percentage', 'step', 'elapsed_time', 'remaining_time']);
/** HF Trainer's names → the names trainer_log.jsonl uses, so both sources give one curve. */
const RENAME: Readonly<Record<string, string>> = { learning_rate: 'lr' };
const NAME = /^[A-Za-z0-9_./-]{1,100}$/;
const MAX_VALUES = 64;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const stepOf = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= 1e9 ? value : undefined);

/** The numeric values of an entry (NaN/inf as null, strings and odd names dropped, at most 64). */
export function entryValues(entry: Record<string, unknown>): StepValues {
  const values: StepValues = {};
  for (const [key, value] of Object.entries(entry)) {
    const name = RENAME[key] ?? key;
    if (POSITION.has(key) || !NAME.test(name) || Object.keys(values).length >= MAX_VALUES) continue;
    if (typeof value === 'number') values[name] = Number.isFinite(value) ? value : null;
    else if (value === null || value === 'NaN' || value === 'Infinity' || value === '-Infinity') values[name] = null;
  }
  return values;
}

/** One parsed trainer_log.jsonl line: its step and values (undefined for lines without `current_steps`), and its progress. */
export function trainerLogEntry(line: unknown): { row?: StepRow; progress?: StepProgress } {
  if (!isObject(line)) return {};
  const step = stepOf(line.current_steps);
  const total = stepOf(line.total_steps);
  const percentage = typeof line.percentage === 'number' && line.percentage >= 0 && line.percentage <= 100 ? line.percentage : undefined;
  const progress = step !== undefined && total !== undefined && percentage !== undefined
    ? { percentage, current_steps: step, total_steps: total, ...(typeof line.remaining_time === 'string' ? { remaining_time: line.remaining_time.slice(0, 32) } : {}) }
    : undefined;
  const values = entryValues(line);
  return { ...(step !== undefined && Object.keys(values).length > 0 ? { row: { step, values } } : {}), ...(progress ? { progress } : {}) };
}

/** Rows of an HF `trainer_state.json` (`log_history`, entries of one step merged) and its progress (`global_step`/`max_steps`). */
export function trainerStateRows(state: unknown): { rows: StepRow[]; progress?: StepProgress } {
  if (!isObject(state) || !Array.isArray(state.log_history)) return { rows: [] };
  const merged = new Map<number, StepValues>();
  for (const entry of state.log_history) {
    const step = isObject(entry) ? stepOf(entry.step) : undefined;
    if (step === undefined || !isObject(entry)) continue;
    merged.set(step, { ...merged.get(step), ...entryValues(entry) });
  }
  const current = stepOf(state.global_step);
  const total = stepOf(state.max_steps);
  const progress = current !== undefined && total !== undefined && total > 0
    ? { percentage: Math.min(100, Math.round((current / total) * 10_000) / 100), current_steps: current, total_steps: total }
    : undefined;
  return { rows: [...merged].map(([step, values]) => ({ step, values })).filter((r) => Object.keys(r.values).length > 0), ...(progress ? { progress } : {}) };
}

/** Python's `json.dumps` writes NaN, Infinity and -Infinity bare (a diverged loss); they parse here as null. */
const PYTHON_NON_FINITE = /([:[,]\s*)(?:NaN|-?Infinity)(?=\s*[,}\]])/g;

/** `JSON.parse` that also reads what Python's json module writes for non-finite floats (as null). @throws SyntaxError */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const fixed = text.replace(PYTHON_NON_FINITE, '$1null');
    if (fixed === text) throw error;
    return JSON.parse(fixed);
  }
}
