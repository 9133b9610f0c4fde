import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { GeneratedSequence } from '../../generation/text-generator.port.js';

/** One sequence to generate: the prompt's tokens, the new-token budget, sampling and stop strings. */
export interface SequenceRun {
  tokens: Token[];
  maxNew: number;
  temperature: number;
  topP: number;
  topK?: number;
  seed: number;
  stop: readonly string[];
  signal?: AbortSignal;
  /** Called with each piece of text as it becomes final (streaming). */
  onText?: (text: string) => void;
}

/** The first stop string in `text`, as the index where it starts. */
function stopAt(text: string, stop: readonly string[], from: number): number {
  let best = -1;
  for (const s of stop) {
    const i = text.indexOf(s, Math.max(0, from - s.length - 4)); // a partial character before may have completed
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}

/**
 * Generates one sequence on a cleared context sequence: stops at the end-of-generation token or a stop
 * string (`stop`, the string left out), or after `maxNew` tokens (`length`). Counts the tokens sampled.
 */
export async function runSequence(model: LlamaModel, sequence: LlamaContextSequence, run: SequenceRun): Promise<GeneratedSequence> {
  run.signal?.throwIfAborted();
  await sequence.clearHistory();
  if (run.maxNew <= 0) return { text: '', finish_reason: 'length', completion_tokens: 0 };
  const out: Token[] = [];
  let text = '';
  let sent = 0;
  let finish: GeneratedSequence['finish_reason'] = 'stop';
  const watch = run.stop.length > 0 || run.onText !== undefined;
  const tokens = sequence.evaluate(run.tokens, {
    temperature: run.temperature, topP: run.topP, ...(run.topK === undefined ? {} : { topK: run.topK }), seed: run.seed,
  });
  for await (const token of tokens) {
    if (run.signal?.aborted) break;
    out.push(token);
    if (watch) {
      const before = text.length;
      text = model.detokenize(out);
      const cut = stopAt(text, run.stop, before);
      if (cut >= 0) {
        text = text.slice(0, cut);
        break;
      }
    }
    if (out.length >= run.maxNew) {
      finish = 'length';
      break;
    }
    // Text ending in a partial UTF-8 character (U+FFFD) or a stop string's prefix is held back.
    if (run.onText && !text.endsWith('\uFFFD')) {
      const hold = Math.max(0, ...run.stop.map((s) => s.length - 1));
      const safe = text.length - hold;
      if (safe > sent) run.onText(text.slice(sent, safe));
      sent = Math.max(sent, safe);
    }
  }
  run.signal?.throwIfAborted();
  if (!watch) text = model.detokenize(out);
  if (run.onText && text.length > sent) run.onText(text.slice(sent));
  return { text, finish_reason: finish, completion_tokens: out.length };
}
