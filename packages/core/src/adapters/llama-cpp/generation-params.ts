import type { LlamaModel, Token } from 'node-llama-cpp';
import { ValidationError } from '../../errors.js';
import type { GenerationParams } from '../../generation/text-generator.port.js';

const MAX_STOP = 16;

/** Bad parameters → ValidationError naming the one at fault. */
export function checkParams(p: GenerationParams): void {
  const bad = (message: string) => new ValidationError(message, { reason: 'invalid_generation_params' });
  if (!Number.isInteger(p.n) || p.n < 1 || p.n > 16) throw bad(`n must be an integer from 1 to 16 (got ${p.n})`);
  if (!Number.isInteger(p.limit.tokens) || p.limit.tokens < 0) throw bad(`the token limit must be a whole number ≥ 0 (got ${p.limit.tokens})`);
  if (!Number.isFinite(p.temperature) || p.temperature < 0) throw bad(`temperature must be ≥ 0 (got ${p.temperature})`);
  if (!Number.isFinite(p.topP) || p.topP <= 0 || p.topP > 1) throw bad(`top_p must be in (0, 1] (got ${p.topP})`);
  if (p.topK !== undefined && (!Number.isInteger(p.topK) || p.topK < 0)) throw bad(`top_k must be a whole number ≥ 0 (got ${p.topK})`);
  if (p.seed !== undefined && (!Number.isSafeInteger(p.seed) || p.seed < 0)) throw bad(`seed must be a whole number ≥ 0 (got ${p.seed})`);
  if ((p.stop?.length ?? 0) > MAX_STOP || p.stop?.some((s) => s.length === 0 || s.length > 500)) throw bad(`stop takes at most ${MAX_STOP} strings of 1–500 characters`);
}

/** The prompt as the model sees it: its tokens, with the BOS token the model prepends. */
export function promptTokens(model: LlamaModel, prompt: string): Token[] {
  const tokens = model.tokenize(prompt, false);
  return model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? [model.tokens.bos, ...tokens] : tokens;
}
