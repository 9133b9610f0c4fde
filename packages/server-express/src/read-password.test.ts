import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { readPassword, type PasswordInput } from './read-password.js';

/** A stand-in terminal: a stream that says it is a TTY and records raw-mode switches. */
function terminal(...keys: string[]) {
  const input = new PassThrough() as PassThrough & PasswordInput;
  const modes: boolean[] = [];
  input.isTTY = true;
  input.setRawMode = (mode: boolean) => modes.push(mode);
  const output = new PassThrough();
  let shown = '';
  output.on('data', (c: Buffer) => (shown += c.toString()));
  // Keys arrive after the prompt, one chunk per keystroke group, as a terminal sends them.
  setImmediate(() => keys.forEach((k, i) => setTimeout(() => input.write(k), i * 5)));
  return { input, output, modes, shown: () => shown };
}

describe('readPassword', () => {
  test('on a terminal it reads in raw mode without echo, honours backspace, and asks twice to confirm', async () => {
    const t = terminal('hunter22', '\u007f', 'x\r', 'hunter2x\r');
    expect(await readPassword({ confirm: true, input: t.input, output: t.output })).toBe('hunter2x');
    expect(t.shown()).toBe('Password: \nRepeat password: \n');
    expect(t.modes).toEqual([true, false, true, false]);
  });

  test('two different entries are refused, and Ctrl-C cancels', async () => {
    const t = terminal('password-one\r', 'password-two\r');
    await expect(readPassword({ confirm: true, input: t.input, output: t.output })).rejects.toThrow(/differ/);
    const c = terminal('secret\u0003');
    await expect(readPassword({ input: c.input, output: c.output })).rejects.toThrow(/cancelled/);
    expect(c.modes).toEqual([true, false]);
  });

  test('from a pipe it takes the first line, CRLF or not, and refuses an empty one', async () => {
    const pipe = (text: string) => {
      const input = new PassThrough();
      input.end(text);
      return readPassword({ confirm: true, input, output: new PassThrough() });
    };
    expect(await pipe('correct horse\nsecond line\n')).toBe('correct horse');
    expect(await pipe('with crlf\r\n')).toBe('with crlf');
    expect(await pipe('no newline at all')).toBe('no newline at all');
    await expect(pipe('')).rejects.toThrow(/no password given/);
    await expect(pipe('\nlater')).rejects.toThrow(/no password given/);
  });
});
