import { CoreError } from '../../errors.js';
import { badAnswer, DEFAULT_RETRY_AFTER_S, transportError } from './upstream-errors.js';
import type { OpenAnswer } from './upstream-http.js';
import { finishReason, parseAnswer } from './upstream-completions.js';
import { CompletionChunkSchema, upstreamErrorMessage } from './upstream-wire.schema.js';
import { createSseEventParser } from './sse-event-parser.js';

/** One piece of a streamed sequence; the last one carries `finish_reason`. */
export interface StreamPiece {
  text: string;
  finish_reason?: 'stop' | 'length';
}

/**
 * Reads the server-sent events of a `stream: true` completion (`data: {choices:[{text,finish_reason}]}`
 * … `data: [DONE]`) into pieces. More than `cap` bytes without a complete event is refused; the body is
 * closed and the slot released however the reading ends (done, error, or the consumer stopping).
 * (Hand-parsed: eventsource-parser ships its TypeScript source under the `source` export condition
 * this repository resolves, and that source does not compile with the repository's tsconfig.)
 */
export async function* streamPieces(answer: OpenAnswer, cap: number, signal?: AbortSignal): AsyncGenerator<StreamPiece> {
  const parser = createSseEventParser();
  const decoder = new TextDecoder();
  let finished = false;
  try {
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      const events = parser.feed(decoder.decode(chunk, { stream: true }));
      if (parser.pendingLength > cap) {
        throw new CoreError('EXTERNAL_FAILURE', `upstream ${answer.context.url} sent a stream event over ${cap} bytes (YOLOOPS_LLM_MAX_RESPONSE_BYTES)`, { reason: 'upstream_too_large', details: { url: answer.context.url, max_bytes: cap } });
      }
      for (const event of events) {
        if (event.data.trim() === '[DONE]') {
          if (!finished) yield { text: '', finish_reason: 'stop' };
          return;
        }
        const piece = pieceOf(answer, event.data);
        if (piece === undefined) continue;
        if (piece.finish_reason !== undefined) finished = true;
        yield piece;
      }
    }
    if (!finished) throw badAnswer(answer.context, 'the stream ended before the completion finished (no finish_reason, no [DONE])');
  } catch (error) {
    throw transportError(answer.context, error, signal);
  } finally {
    if (!answer.body.destroyed) answer.body.destroy();
    answer.release();
  }
}

/** The piece one `data:` event carries (none for a usage-only event); an `error` event fails the stream. */
function pieceOf(answer: OpenAnswer, data: string): StreamPiece | undefined {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (error) {
    throw badAnswer(answer.context, `a stream event is not JSON (${JSON.stringify(data.slice(0, 80))})`, error);
  }
  const chunk = parseAnswer(answer.context, CompletionChunkSchema, json, 'stream event');
  if (chunk.error !== undefined) {
    const message = upstreamErrorMessage({ error: chunk.error }) ?? JSON.stringify(chunk.error).slice(0, 200);
    throw new CoreError('EXTERNAL_FAILURE', `upstream ${answer.context.url} failed while streaming: ${message}`, { reason: 'upstream_error', details: { url: answer.context.url, retry_after_s: DEFAULT_RETRY_AFTER_S } });
  }
  const choice = chunk.choices?.[0];
  if (choice === undefined) return undefined;
  const reason = choice.finish_reason;
  return reason === null || reason === undefined || reason === '' ? { text: choice.text } : { text: choice.text, finish_reason: finishReason(reason) };
}
