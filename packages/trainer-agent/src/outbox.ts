import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { NotifyEvent } from './events.js';
import { emptyJournal, openAppendFile, readJournal, replaceJournal } from './journal-file.js';

/** A journaled event: its place in the journal (`seq`, never reused for a task) and when it was written. */
export interface OutboxRecord extends NotifyEvent {
  seq: number;
  at: string;
}

/** How an event left the outbox: the server stored it (`acked`) or refused it for good (`rejected`). */
export type Settlement = 'acked' | 'rejected';

interface AckLine {
  seq: number;
  eventId: string;
  outcome: Settlement;
}

/** What compaction leaves of a settled record: enough to recognise its `eventId` again, no body. */
interface Tombstone {
  seq: number;
  eventId: string;
  settled: Settlement;
}

type JournalLine = OutboxRecord | Tombstone;

/** The durable queue of one task's notifications: an append-only event journal plus an append-only ack journal. */
export interface Outbox {
  /** Un-settled records, oldest first. */
  pending(): readonly OutboxRecord[];
  /** Journals the event (write + fsync) and returns its record; `undefined` when this `eventId` is already journaled. */
  append(event: NotifyEvent): OutboxRecord | undefined;
  /** Records, durably, that `record` needs no more sending. */
  settle(record: OutboxRecord, outcome: Settlement): void;
  /** The highest N of the journaled event ids `<prefix>N` (0 when none): where a numbered series goes on after a restart. */
  lastNumber(prefix: string): number;
  close(): void;
  readonly files: { events: string; acks: string };
}

/** Journal file names for a task; ids that are not plain names are hashed so they cannot escape `dir`. */
export function outboxFiles(dir: string, taskId: string): { events: string; acks: string } {
  const name = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/.test(taskId) ? taskId : `task-${createHash('sha256').update(taskId).digest('hex').slice(0, 24)}`;
  return { events: path.join(dir, `${name}.events.jsonl`), acks: path.join(dir, `${name}.acks.jsonl`) };
}

const keyOf = (line: { seq: number; eventId: string }) => `${line.seq}\u0000${line.eventId}`;
const isLine = <T extends { seq: number; eventId: string }>(value: unknown): value is T =>
  typeof value === 'object' && value !== null && Number.isSafeInteger((value as T).seq) && typeof (value as T).eventId === 'string';
const isRecord = (line: JournalLine): line is OutboxRecord => 'body' in line && 'path' in line;

/**
 * Opens (creating when needed) the outbox of `taskId` under `dir` and recovers it: torn last lines
 * are cut, records without an ack become pending again, and settled records are compacted to
 * tombstones (their acks journal is then emptied).
 *
 * Crash safety: an event is durable once `append` returns; an ack is written only after the server
 * answered, so a crash between the two re-sends that one event (harmless: the server keys on
 * `eventId`). Compaction writes the new journal to a temp file, empties the acks, then renames:
 * a crash in between leaves the old full journal with no acks, i.e. a harmless replay, never a loss.
 */
export function openOutbox(dir: string, taskId: string, log: (line: string) => void): Outbox {
  mkdirSync(dir, { recursive: true });
  const files = outboxFiles(dir, taskId);
  const bad = (line: string) => log(`yoloops-agent: skipping an unreadable outbox line: ${line.slice(0, 120)}`);
  const lines = readJournal<unknown>(files.events, bad).filter(isLine<JournalLine>);
  const acked = readJournal<unknown>(files.acks, bad).filter(isLine<AckLine>);
  const settled = new Map(acked.map((ack) => [keyOf(ack), ack.outcome === 'rejected' ? 'rejected' : 'acked'] as const));
  let pending = lines.filter(isRecord).filter((line) => !settled.has(keyOf(line)));
  const known = new Set(lines.map((line) => line.eventId));
  let nextSeq = lines.reduce((max, line) => Math.max(max, line.seq), 0) + 1;
  if (settled.size > 0) compact(files, lines, settled);
  const events = openAppendFile(files.events);
  const acks = openAppendFile(files.acks);
  return {
    files,
    pending: () => pending,
    append(event) {
      if (known.has(event.eventId)) return undefined;
      const record: OutboxRecord = { seq: nextSeq++, at: new Date().toISOString(), ...event };
      events.append(record);
      known.add(record.eventId);
      pending = [...pending, record];
      return record;
    },
    settle(record, outcome) {
      acks.append({ seq: record.seq, eventId: record.eventId, outcome } satisfies AckLine);
      pending = pending.filter((entry) => entry.seq !== record.seq);
    },
    lastNumber(prefix) {
      let max = 0;
      for (const id of known) {
        if (!id.startsWith(prefix)) continue;
        const n = Number(id.slice(prefix.length));
        if (Number.isSafeInteger(n) && n > max) max = n;
      }
      return max;
    },
    close() {
      events.close();
      acks.close();
    },
  };
}

function compact(files: { events: string; acks: string }, lines: JournalLine[], settled: Map<string, Settlement>): void {
  const compacted = lines.map((line): JournalLine => {
    const outcome = isRecord(line) ? settled.get(keyOf(line)) : undefined;
    return outcome === undefined ? line : { seq: line.seq, eventId: line.eventId, settled: outcome };
  });
  replaceJournal(files.events, compacted, () => emptyJournal(files.acks));
}
