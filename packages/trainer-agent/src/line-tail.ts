/** The last lines of a stream, in bounded memory. */
export interface LineTail {
  push(chunk: Buffer | string): void;
  /** The last lines joined with `\n`, an unfinished last line included. */
  text(): string;
}

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/**
 * Keeps the last `maxLines` lines (each cut to `maxLineLength`) of a byte stream. Terminal
 * decoration is dropped: ANSI escapes, and everything before the last `\r` of a line (progress bars
 * redraw themselves with `\r`).
 */
export function createLineTail(maxLines = 20, maxLineLength = 1000): LineTail {
  const lines: string[] = [];
  let partial = '';
  const clean = (line: string) => {
    const body = line.replace(/\r+$/, '');
    return body.slice(body.lastIndexOf('\r') + 1).replace(ANSI, '').trimEnd().slice(-maxLineLength);
  };
  return {
    push(chunk) {
      const parts = (partial + chunk.toString()).split('\n');
      partial = (parts.pop() ?? '').slice(-4 * maxLineLength);
      for (const part of parts) {
        const line = clean(part);
        if (line === '') continue;
        lines.push(line);
        if (lines.length > maxLines) lines.shift();
      }
    },
    text() {
      const last = clean(partial);
      return [...lines, ...(last ? [last] : [])].slice(-maxLines).join('\n');
    },
  };
}
