import { describe, expect, test } from 'vitest';
import { createSseEventParser, type SseEvent } from './sse-event-parser.js';

/** Feeds the chunks in order and returns every event dispatched. */
function parse(chunks: string[]): SseEvent[] {
  const parser = createSseEventParser();
  return chunks.flatMap((chunk) => parser.feed(chunk));
}

describe('createSseEventParser', () => {
  test.each([
    { name: 'one event', given: ['data: {"a":1}\n\n'], want: [{ data: '{"a":1}' }] },
    { name: 'no space after the colon', given: ['data:x\n\n'], want: [{ data: 'x' }] },
    { name: 'only one leading space is dropped', given: ['data:  x\n\n'], want: [{ data: ' x' }] },
    { name: 'CRLF line ends', given: ['data: a\r\n\r\ndata: b\r\n\r\n'], want: [{ data: 'a' }, { data: 'b' }] },
    { name: 'CR line ends', given: ['data: a\r\rdata: b\r\r', ': next'], want: [{ data: 'a' }, { data: 'b' }] },
    { name: 'a final CR waits for the next chunk (it may be half a CRLF)', given: ['data: a\r\r'], want: [] },
    { name: 'a CRLF split across chunks', given: ['data: a\r', '\n\r', '\n'], want: [{ data: 'a' }] },
    { name: 'an event split mid-field', given: ['da', 'ta: hel', 'lo\n', '\n'], want: [{ data: 'hello' }] },
    { name: 'data lines join with LF', given: ['data: a\ndata: b\n\n'], want: [{ data: 'a\nb' }] },
    { name: 'comments and other fields are skipped', given: [': ping\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n'], want: [{ data: 'x' }] },
    { name: 'the event field is kept', given: ['event: error\ndata: boom\n\n'], want: [{ event: 'error', data: 'boom' }] },
    { name: 'a blank line without data dispatches nothing', given: ['\n\nevent: x\n\n'], want: [] },
    { name: 'an unfinished event is held', given: ['data: a\n'], want: [] },
  ])('$name', ({ given, want }) => {
    expect(parse(given)).toEqual(want);
  });

  test('pendingLength counts what an unfinished event holds, and drops to 0 once it dispatches', () => {
    const parser = createSseEventParser();
    parser.feed('data: 12345\n');
    parser.feed('data: 678');
    expect(parser.pendingLength).toBe('12345'.length + 'data: 678'.length);
    expect(parser.feed('\n\n')).toEqual([{ data: '12345\n678' }]);
    expect(parser.pendingLength).toBe(0);
  });
});
