import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../errors.js';
import { checkEntryName } from './check-entry-name.js';

function rejection(name: string, limits?: { maxNameLength: number; maxDepth: number }): ValidationError {
  try {
    checkEntryName(name, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error(`expected ${JSON.stringify(name)} to be rejected`);
}

describe('checkEntryName', () => {
  test.each([
    'a.txt',
    'images/train/000000000009.jpg',
    'images/',
    'labels/train/',
    'data.yaml',
    '__proto__',
    'constructor/toString',
    'dir with spaces/file name.jpg',
    '.hidden/.config',
    'a..b/c...d.txt',
    'café/naïve.jpg',
    '日本語/画像.png',
    '100% real.jpg',
    'photo 10:30:00.jpg',
  ])('accepts %j', (name) => {
    expect(() => checkEntryName(name)).not.toThrow();
  });

  test.each([
    ['../../../../tmp/pwn.txt', 'A1 parent traversal'],
    ['images/../../x', 'traversal in the middle'],
    ['images/./../../x', 'A4 dot then dot-dot'],
    ['a/..', 'trailing dot-dot'],
    ['./a.txt', 'dot segment'],
    ['a/./b', 'dot segment in the middle'],
    ['/etc/cron.d/x', 'A2 absolute'],
    ['/tmp/pwn.txt', 'absolute /tmp'],
    ['//server/share/x', 'A2 UNC with slashes'],
    ['C:\\x', 'A2 drive letter with backslash'],
    ['C:/x', 'A2 drive letter with slash'],
    ['c:x', 'drive-relative'],
    ['..\\..\\x', 'A3 backslash traversal'],
    ['images\\..\\..\\x', 'A3 mixed'],
    ['images/..\\..\\x', 'A3 mixed separators'],
    ['a\\b.txt', 'any backslash'],
    ['%2e%2e/x', 'A4 percent-encoded dots'],
    ['%2E%2E%2Fx', 'A4 upper-case percent encoding'],
    ['%252e%252e/x', 'A4 double-encoded'],
    ['a%00.jpg', 'A4 encoded NUL'],
    ['..%2fx', 'encoded slash'],
    ['a\u0000.jpg', 'A4 NUL byte'],
    ['a\nb.txt', 'newline'],
    ['a\u007f.txt', 'DEL'],
    ['a\u0085.txt', 'C1 control'],
    ['a//b', 'empty middle segment'],
    ['a//', 'empty segment before trailing slash'],
    ['file.', 'A4 trailing dot'],
    ['folder./x.txt', 'trailing dot in a folder'],
    ['file.txt ', 'A4 trailing space'],
    ['...', 'only dots'],
    ['\uff0e\uff0e\uff0fx', 'A4 fullwidth ．．／'],
    ['\uff0e\uff0e/x', 'fullwidth dots'],
    ['a\uff0fb', 'fullwidth solidus'],
    ['a\uff3cb', 'fullwidth reverse solidus'],
    ['\uff23\uff1a/x', 'fullwidth drive letter'],
    ['a\u2024\u2024/x', 'one dot leader'],
    ['\u2025/x', 'two dot leader'],
    ['\u2100', 'account of (a/c)'],
    ['', 'empty'],
    ['/', 'root'],
  ])('rejects %j (%s) as unsafe_path naming the entry', (name) => {
    const error = rejection(name);
    expect(error.reason).toBe('unsafe_path');
    expect(error.details).toEqual({ entry: name });
    if (!/[\u0000-\u001f\u007f-\u009f]/.test(name)) expect(error.message).toContain(`"${name}"`);
  });

  test('shows control characters escaped in the message', () => {
    expect(rejection('a\u0000.jpg').message).toContain('"a\\u0000.jpg"');
  });

  test('says which look-alike character normalises to a path character', () => {
    expect(rejection('\uff0e\uff0e\uff0fx').message).toContain('U+FF0E');
  });

  test('rejects names longer than maxNameLength bytes, counting UTF-8 bytes', () => {
    expect(rejection('a'.repeat(4096)).message).toContain('4096-byte name');
    expect(() => checkEntryName('a'.repeat(1024))).not.toThrow();
    expect(rejection('é'.repeat(513)).reason).toBe('unsafe_path'); // 1026 bytes, 513 characters
    expect(rejection('abcdef', { maxNameLength: 5, maxDepth: 32 }).reason).toBe('unsafe_path');
  });

  test('rejects names deeper than maxDepth segments', () => {
    const deep = `${'a/'.repeat(499)}b`;
    const error = rejection(deep, { maxNameLength: 10_000, maxDepth: 32 });
    expect(error.message).toContain('500 levels deep');
    expect(() => checkEntryName(`${'a/'.repeat(31)}b`)).not.toThrow();
    expect(rejection(`${'a/'.repeat(32)}b`).reason).toBe('unsafe_path');
    expect(() => checkEntryName(`${'a/'.repeat(32)}`)).not.toThrow(); // 32 folders, a directory entry
  });
});
