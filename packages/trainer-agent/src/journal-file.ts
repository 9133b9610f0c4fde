import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Reads a JSON-lines file written by {@link appendLine}: only lines ending in `\n` count. A torn last
 * line (the process died mid-write) is cut off the file, durably, so the next append starts clean;
 * a line that does not parse is reported through `onBadLine` and skipped.
 */
export function readJournal<T>(file: string, onBadLine: (line: string) => void): T[] {
  if (!existsSync(file)) return [];
  const bytes = readFileSync(file);
  const end = bytes.lastIndexOf(0x0a) + 1;
  if (end < bytes.length) truncateTo(file, end);
  const records: T[] = [];
  for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
    if (line === '') continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      onBadLine(line);
    }
  }
  return records;
}

function truncateTo(file: string, bytes: number): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** An append-only file descriptor; each line is one `write` followed by `fsync`. */
export interface AppendFile {
  append(record: unknown): void;
  close(): void;
}

/** Opens `file` for appending (created if missing) and fsyncs its folder so the new name survives a crash. */
export function openAppendFile(file: string): AppendFile {
  const created = !existsSync(file);
  const fd = openSync(file, 'a');
  if (created) syncDir(path.dirname(file));
  let open = true;
  return {
    append(record) {
      if (!open) throw new Error(`journal ${file} is closed`);
      appendLine(fd, `${JSON.stringify(record)}\n`);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Writes the whole line, then fsyncs; on a failed write the file is cut back so no torn line stays behind. */
function appendLine(fd: number, line: string): void {
  const bytes = Buffer.from(line);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } catch (error) {
    if (written > 0) tryTruncateTail(fd, written);
    throw error;
  }
}

function tryTruncateTail(fd: number, written: number): void {
  try {
    ftruncateSync(fd, fstatSync(fd).size - written);
  } catch {
    // Recovery on the next open cuts a torn tail anyway.
  }
}

/**
 * Replaces `file` with `records` (one JSON line each) atomically and durably (temp file, fsync, rename, fsync folder), running
 * `beforeRename` after the temp file is durable and before it takes the name.
 */
export function replaceJournal(file: string, records: readonly unknown[], beforeRename: () => void): void {
  const temp = `${file}.tmp`;
  rmSync(temp, { force: true });
  const fd = openSync(temp, 'w');
  try {
    if (records.length > 0) writeSync(fd, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  beforeRename();
  renameSync(temp, file);
  syncDir(path.dirname(file));
}

/** Empties `file` durably (creating it when missing). */
export function emptyJournal(file: string): void {
  const fd = openSync(file, 'w');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a folder's entries durable; Windows cannot open folders, and there rename is durable enough (NTFS journal). */
function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
