/** The part of a TTY stream the prompt needs (so tests can hand it a stand-in terminal). */
export interface PasswordInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface ReadPasswordOptions {
  /** On a terminal, ask twice and refuse a mismatch. */
  confirm?: boolean;
  input?: PasswordInput;
  /** Where prompts go (default stderr, so stdout stays the command's answer). */
  output?: NodeJS.WritableStream;
}

const MAX_CHARS = 4096;

/** Reads one line from a terminal in raw mode without echoing it; Ctrl-C cancels, backspace deletes. */
export function readHiddenLine(input: PasswordInput, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    output.write(prompt);
    input.setRawMode?.(true);
    input.setEncoding('utf8');
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onEnd = () => finish();
    const onData = (chunk: string | Buffer) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ' && value.length < MAX_CHARS) value += ch;
      }
      return undefined;
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}

/** The first line of a piped stdin (a trailing CR/LF dropped). */
async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.includes('\n') || text.length > MAX_CHARS) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/**
 * A password from a prompt without echo when stdin is a terminal, else from the first line of stdin
 * (`printf '%s\n' "$PW" | yoloops users add ada`); never from the command line.
 */
export async function readPassword(options: ReadPasswordOptions = {}): Promise<string> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (!input.isTTY) {
    const line = await readFirstLine(input);
    if (line === '') throw new Error('no password given: type it at the prompt, or pipe it on stdin (one line)');
    return line;
  }
  const password = await readHiddenLine(input, output, 'Password: ');
  if (options.confirm && (await readHiddenLine(input, output, 'Repeat password: ')) !== password) throw new Error('the two passwords differ; nothing changed');
  return password;
}
