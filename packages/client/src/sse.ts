import { StringDecoder } from 'node:string_decoder';

/**
 * Parses a `text/event-stream` body into the `data` of each event (multi-line data joined with `\n`);
 * comments (`: ping`) and other fields are skipped.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export async function* parseSseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += decoder.write(Buffer.from(chunk));
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield data.join('\n');
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
    }
  }
  if (data.length > 0) yield data.join('\n');
}
