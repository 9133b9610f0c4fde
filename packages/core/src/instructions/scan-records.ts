import type { InstructionIssue, InstructionRecordFormat, InstructionReport } from './instruction.schema.js';
import { checkRecord } from './check-record.js';
import { createFingerprintSet, type FingerprintSet } from './fingerprint-set.js';
import type { RawRecord } from './read-records.js';
import type { NormalizedRecord } from './record-problem.js';

const FORMATS: readonly InstructionRecordFormat[] = ['alpaca', 'sharegpt', 'openai'];

/** What one raw record is: a kept record, a repeat of an earlier one, or the issues that reject it. */
export type Verdict =
  | { kind: 'valid'; normalized: NormalizedRecord }
  | { kind: 'duplicate'; normalized: NormalizedRecord; issue: InstructionIssue }
  | { kind: 'invalid'; issues: InstructionIssue[] };

const at = (raw: RawRecord) => (raw.line === undefined ? { index: raw.index } : { index: raw.index, line: raw.line });
const where = (raw: RawRecord) => (raw.line === undefined ? `record ${raw.index}` : `line ${raw.line}`);

/** Judges one raw record; `seen` remembers the content of valid records, so a repeat is a `duplicate`. */
export function judgeRecord(raw: RawRecord, seen: FingerprintSet): Verdict {
  if (raw.problem !== undefined) return { kind: 'invalid', issues: [{ ...at(raw), ...raw.problem }] };
  const check = checkRecord(raw.value);
  if (!check.ok) return { kind: 'invalid', issues: check.problems.map((problem) => ({ ...at(raw), ...problem })) };
  const normalized: NormalizedRecord = check.format === 'alpaca' ? { format: 'alpaca', record: check.record } : { format: check.format, record: check.record };
  if (seen.add(`${normalized.format}\u0000${JSON.stringify(normalized.record)}`)) return { kind: 'valid', normalized };
  return { kind: 'duplicate', normalized, issue: { ...at(raw), code: 'duplicate', message: `${where(raw)} repeats the content of an earlier record` } };
}

/**
 * Builds the validation report of a stream of raw records: every issue counted, the first `maxIssues`
 * listed in file order. The majority format of the valid records is the file's (first seen wins a tie);
 * valid records of another format become `mixed_format` issues and are not kept.
 */
export function createReportBuilder(maxIssues: number) {
  const seen = createFingerprintSet();
  const issues: InstructionIssue[] = [];
  const counts: Record<string, number> = {};
  const formats: Record<string, number> = {};
  const formatRows = new Map<InstructionRecordFormat, { index: number; line?: number }[]>();
  let [total, invalid, duplicates, issueTotal] = [0, 0, 0, 0];
  const addIssue = (issue: InstructionIssue) => {
    counts[issue.code] = (counts[issue.code] ?? 0) + 1;
    issueTotal += 1;
    if (issues.length < maxIssues) issues.push(issue);
  };

  return {
    add(raw: RawRecord): void {
      total += 1;
      const verdict = judgeRecord(raw, seen);
      if (verdict.kind === 'invalid') {
        invalid += 1;
        verdict.issues.forEach(addIssue);
      } else if (verdict.kind === 'duplicate') {
        duplicates += 1;
        addIssue(verdict.issue);
      } else {
        const format = verdict.normalized.format;
        formats[format] = (formats[format] ?? 0) + 1;
        const rows = formatRows.get(format) ?? [];
        if (rows.length < maxIssues) rows.push(at(raw));
        formatRows.set(format, rows);
      }
    },
    finish(): InstructionReport {
      const majority = [...formatRows.keys()].reduce<InstructionRecordFormat | null>((best, f) => (best === null || formats[f]! > formats[best]! ? f : best), null);
      const listed = [...issues];
      for (const format of FORMATS) {
        if (format === majority || formats[format] === undefined) continue;
        const n = formats[format]!;
        [counts.mixed_format, invalid, issueTotal] = [(counts.mixed_format ?? 0) + n, invalid + n, issueTotal + n];
        for (const row of formatRows.get(format)!) listed.push({ ...row, code: 'mixed_format', message: `record ${row.index} is ${format} but most records of this file are ${majority}` });
      }
      listed.sort((a, b) => a.index - b.index);
      const kept = listed.slice(0, maxIssues);
      const valid = majority === null ? 0 : formats[majority]!;
      return {
        record_format: majority, records_total: total, records_valid: valid, records_invalid: invalid, duplicates,
        formats: { ...formats }, issue_counts: counts, issues_truncated: issueTotal - kept.length, issues: kept,
      };
    },
  };
}
