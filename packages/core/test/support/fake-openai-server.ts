import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The server kinds the fake imitates (their `/v1/models` owners, `/tokenize` shapes and finish reasons). */
export type FakeServerKind = 'vllm' | 'llama.cpp' | 'ollama' | 'tgi' | 'generic';

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
  /** The client closed the connection before the answer ended. */
  closedEarly: boolean;
}

export interface FakeOpenAiServerOptions {
  kind: FakeServerKind;
  models?: string[];
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  apiKey?: string;
  /** `/tokenize` answers (default: vLLM and llama.cpp server only); false makes it a 404. */
  tokenize?: boolean;
  /** Line ending of the SSE stream (llama.cpp-style LF by default). */
  lineEnding?: '\n' | '\r\n';
  /** Completions wait until this many are in flight (proves parallel requests); 500 after 2 s without. */
  barrier?: number;
  /** Takes over a request (faults: garbage, huge bodies, hangs); return true when it answered. */
  handle?: (request: RecordedRequest, res: ServerResponse) => boolean;
}

export interface FakeOpenAiServer {
  /** `http://127.0.0.1:<port>` (the server root). */
  url: string;
  requests: RecordedRequest[];
  completions(): RecordedRequest[];
  close(): Promise<void>;
}

/** Byte-level tokenizer: a BOS token, then one token per UTF-8 byte. */
export const fakeTokenCount = (text: string) => 1 + Buffer.byteLength(text, 'utf8');

/** The fake's deterministic completion: letters from an LCG seeded by prompt, seed and temperature. */
export function fakeCompletion(body: Record<string, unknown>): { text: string; finish: 'stop' | 'length' } {
  const prompt = String(body.prompt);
  const max = Number(body.max_tokens ?? 16);
  let state = (Number(body.seed ?? 0) * 31 + Math.round(Number(body.temperature ?? 1) * 100)) >>> 0;
  for (const ch of prompt) state = (Math.imul(state, 31) + ch.charCodeAt(0)) >>> 0;
  const wanted = prompt.includes('short') ? 3 : Number.POSITIVE_INFINITY;
  let text = '';
  while (text.length < Math.min(max, wanted)) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    text += String.fromCharCode(97 + ((state >>> 16) % 26));
  }
  for (const stop of (body.stop as string[] | undefined) ?? []) {
    const at = text.indexOf(stop);
    if (at !== -1) return { text: text.slice(0, at), finish: 'stop' };
  }
  return { text, finish: text.length >= max ? 'length' : 'stop' };
}

/** Starts a real HTTP server on 127.0.0.1 that speaks the OpenAI wire format and records what it got. */
export async function startFakeOpenAiServer(options: FakeOpenAiServerOptions): Promise<FakeOpenAiServer> {
  const models = options.models ?? ['tiny-llm'];
  const requests: RecordedRequest[] = [];
  const waiting: (() => void)[] = [];
  const server = createServer((req, res) => {
    void receive(req).then((body) => {
      const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, closedEarly: false };
      requests.push(recorded);
      res.on('close', () => {
        recorded.closedEarly = !res.writableFinished;
      });
      if (options.handle?.(recorded, res)) return;
      route(options, models, recorded, res, waiting);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    completions: () => requests.filter((r) => r.path.endsWith('/v1/completions')),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function receive(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function route(options: FakeOpenAiServerOptions, models: string[], request: RecordedRequest, res: ServerResponse, waiting: (() => void)[]): void {
  if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
    sendJson(res, 401, { error: { message: 'Invalid API key', type: 'authentication_error' } });
    return;
  }
  const { kind } = options;
  if (request.method === 'GET' && request.path === '/v1/models') {
    const owner = (id: string) => ({ vllm: 'vllm', 'llama.cpp': 'llamacpp', ollama: 'library', tgi: id, generic: 'someone' })[kind];
    sendJson(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: owner(id) })) });
    return;
  }
  if (request.method === 'POST' && request.path === '/tokenize' && (options.tokenize ?? (kind === 'vllm' || kind === 'llama.cpp'))) {
    const text = String(kind === 'vllm' ? request.body?.prompt : request.body?.content);
    const tokens = Array.from({ length: fakeTokenCount(text) }, (_, i) => i);
    sendJson(res, 200, kind === 'vllm' ? { count: tokens.length, max_model_len: 4096, tokens } : { tokens });
    return;
  }
  if (request.method === 'POST' && request.path === '/v1/completions') {
    const model = String(request.body?.model);
    if (kind !== 'llama.cpp' && !models.includes(model)) {
      sendJson(res, 404, { object: 'error', message: `The model \`${model}\` does not exist.`, type: 'NotFoundError', code: 404 });
      return;
    }
    const answer = () => (request.body?.stream === true ? streamCompletion(options, request, res) : completion(kind, request, res));
    if (options.barrier === undefined) return answer();
    return barrier(options.barrier, waiting, answer, res);
  }
  sendJson(res, 404, { detail: 'Not Found' });
}

function barrier(count: number, waiting: (() => void)[], answer: () => void, res: ServerResponse): void {
  const timer = setTimeout(() => sendJson(res, 500, { error: { message: `barrier of ${count} parallel requests not reached` } }), 2000);
  waiting.push(() => {
    clearTimeout(timer);
    answer();
  });
  if (waiting.length >= count) for (const go of waiting.splice(0)) go();
}

const finishName = (kind: FakeServerKind, finish: 'stop' | 'length') => (finish === 'stop' && kind === 'tgi' ? 'eos_token' : finish);

function completion(kind: FakeServerKind, request: RecordedRequest, res: ServerResponse): void {
  const { text, finish } = fakeCompletion(request.body!);
  const prompt = fakeTokenCount(String(request.body!.prompt));
  sendJson(res, 200, {
    id: 'cmpl-1', object: 'text_completion', created: 1700000000, model: request.body!.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishName(kind, finish) }],
    usage: { prompt_tokens: prompt, completion_tokens: text.length, total_tokens: prompt + text.length },
  });
}

function streamCompletion(options: FakeOpenAiServerOptions, request: RecordedRequest, res: ServerResponse): void {
  const { text, finish } = fakeCompletion(request.body!);
  const eol = options.lineEnding ?? '\n';
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const event = (value: unknown) => `data: ${typeof value === 'string' ? value : JSON.stringify(value)}${eol}${eol}`;
  const events = [`: keep-alive${eol}`];
  for (const ch of text) events.push(event({ object: 'text_completion', choices: [{ index: 0, text: ch, finish_reason: null }] }));
  events.push(event({ object: 'text_completion', choices: [{ index: 0, text: '', finish_reason: finishName(options.kind, finish) }] }));
  events.push(event('[DONE]'));
  // split every event across two writes so the client meets partial lines (and split CRLFs)
  const wire = events.join('');
  for (let at = 0; at < wire.length; at += 7) res.write(wire.slice(at, at + 7));
  res.end();
}
