/** One dispatched server-sent event (only `data` matters to OpenAI streams; `event` is kept for errors). */
export interface SseEvent {
  event?: string;
  data: string;
}

/** Incremental parser of a text/event-stream: feed decoded text, get the events it completes. */
export interface SseEventParser {
  feed(text: string): SseEvent[];
  /** Characters held for an unfinished line or event. */
  readonly pendingLength: number;
}

/**
 * Parses server-sent events as the WHATWG HTML "event stream interpretation" does: lines end in CRLF,
 * LF or CR; `:` starts a comment; `data` lines join with LF; a blank line dispatches; one space after
 * the colon is dropped; `id`, `retry` and unknown fields are ignored.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export function createSseEventParser(): SseEventParser {
  let buffer = '';
  let data: string[] = [];
  let event: string | undefined;
  let held = 0;

  function line(text: string, out: SseEvent[]): void {
    if (text === '') {
      if (data.length > 0) out.push({ ...(event === undefined ? {} : { event }), data: data.join('\n') });
      data = [];
      event = undefined;
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }

  return {
    feed(text) {
      buffer += text;
      const out: SseEvent[] = [];
      const lines = /\r\n|\n|\r/g;
      let start = 0;
      for (let match = lines.exec(buffer); match !== null; match = lines.exec(buffer)) {
        // a CR at the very end may be the first half of a CRLF still on its way
        if (match[0] === '\r' && match.index === buffer.length - 1) break;
        line(buffer.slice(start, match.index), out);
        start = match.index + match[0].length;
      }
      buffer = buffer.slice(start);
      held = buffer.length + data.reduce((sum, d) => sum + d.length, 0);
      return out;
    },
    get pendingLength() {
      return held;
    },
  };
}
