import { CoreError } from '../../errors.js';
import { complete, parseAnswer } from './upstream-completions.js';
import type { UpstreamEndpoint } from './upstream-endpoint.js';
import type { UpstreamHttp } from './upstream-http.js';
import type { TokenizeStyle } from './upstream-server-kind.js';
import { TokenizeSchema } from './upstream-wire.schema.js';

/** Counts tokens the way the upstream's completions count the prompt (special tokens such as BOS included). */
export interface TokenCounter {
  count(model: string, text: string, style: TokenizeStyle, signal?: AbortSignal): Promise<number>;
}

const isRouteMissing = (error: unknown) => error instanceof CoreError && error.reason === 'upstream_route_missing';

/**
 * vLLM: `POST /tokenize {model, prompt}` → `count`; llama.cpp server: `POST /tokenize {content,
 * add_special}` → `tokens`; otherwise (or when that route answers 404, remembered) the `usage.prompt_tokens`
 * of a `max_tokens: 1` greedy completion.
 */
export function createTokenCounter(http: UpstreamHttp, endpoint: UpstreamEndpoint): TokenCounter {
  let tokenizeMissing = false;
  const withSignal = (signal?: AbortSignal) => (signal === undefined ? {} : { signal });

  async function tokenize(model: string, text: string, style: Exclude<TokenizeStyle, 'none'>, signal?: AbortSignal): Promise<number> {
    const body = style === 'vllm' ? { model, prompt: text, add_special_tokens: true } : { content: text, add_special: true };
    const json = await http.json({ method: 'POST', path: `${endpoint.rootPath}/tokenize`, body, model, ...withSignal(signal) });
    const answer = parseAnswer({ url: http.url, model }, TokenizeSchema, json, 'tokenize answer');
    return answer.count ?? answer.tokens.length;
  }

  async function byCompletion(model: string, text: string, signal?: AbortSignal): Promise<number> {
    const body = { model, prompt: text, max_tokens: 1, temperature: 0, top_p: 1 };
    return (await complete(http, `${endpoint.apiPath}/completions`, body, signal)).promptTokens;
  }

  return {
    async count(model, text, style, signal) {
      if (style !== 'none' && !tokenizeMissing) {
        try {
          return await tokenize(model, text, style, signal);
        } catch (error) {
          if (!isRouteMissing(error)) throw error;
          tokenizeMissing = true;
        }
      }
      return byCompletion(model, text, signal);
    },
  };
}
