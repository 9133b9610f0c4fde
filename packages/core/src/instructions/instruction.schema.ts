import { z } from 'zod';

export const InstructionFileFormatSchema = z
  .enum(['json', 'jsonl', 'csv'])
  .meta({ id: 'InstructionFileFormat', description: 'json: one array of records; jsonl: one record per line; csv: a header row, then one record per row.' });
export type InstructionFileFormat = z.infer<typeof InstructionFileFormatSchema>;

export const InstructionRecordFormatSchema = z
  .enum(['alpaca', 'sharegpt', 'openai'])
  .meta({
    id: 'InstructionRecordFormat',
    description: 'alpaca: instruction/input/output (or response)/system; sharegpt: conversations[{from,value}]; openai: messages[{role,content}].',
  });
export type InstructionRecordFormat = z.infer<typeof InstructionRecordFormatSchema>;

export const InstructionIssueCodeSchema = z
  .enum(['bad_json', 'bad_csv_row', 'not_an_object', 'unknown_format', 'missing_field', 'empty_text', 'wrong_type', 'bad_role', 'bad_turn_order', 'duplicate', 'mixed_format'])
  .meta({ id: 'InstructionIssueCode' });
export type InstructionIssueCode = z.infer<typeof InstructionIssueCodeSchema>;

export const InstructionIssueSchema = z
  .object({
    index: z.number().int().describe('0-based position of the record in the file (array index, non-empty line or data row).'),
    line: z.number().int().optional().describe('1-based line of the file (JSON Lines, and CSV where the header is line 1).'),
    code: InstructionIssueCodeSchema,
    field: z.string().optional().describe('Field the issue is about, e.g. `output` or `conversations[2].value`.'),
    message: z.string(),
  })
  .meta({ id: 'InstructionIssue' });
export type InstructionIssue = z.infer<typeof InstructionIssueSchema>;

export const InstructionReportSummarySchema = z
  .object({
    records_total: z.number().int().describe('Records read (array elements, non-empty lines or data rows).'),
    records_valid: z.number().int().describe('Records kept: valid, of the file’s record format, first of their content.'),
    records_invalid: z.number().int(),
    duplicates: z.number().int().describe('Valid records whose normalized content appeared earlier (not kept).'),
    formats: z.record(z.string(), z.number().int()).describe('Valid records seen per record format, before the majority was chosen.'),
    issue_counts: z.record(z.string(), z.number().int()).describe('Issues per code, all of them (listed or not).'),
    issues_truncated: z.number().int().describe('Issues not listed because the list is capped.'),
  })
  .meta({ id: 'InstructionReportSummary' });
export type InstructionReportSummary = z.infer<typeof InstructionReportSummarySchema>;

export const InstructionReportSchema = InstructionReportSummarySchema.extend({
  record_format: InstructionRecordFormatSchema.nullable().describe('Majority format of the valid records; null when none was valid.'),
  issues: z.array(InstructionIssueSchema).describe('The first issues in file order (capped).'),
}).meta({ id: 'InstructionReport' });
export type InstructionReport = z.infer<typeof InstructionReportSchema>;

export const SplitCountsSchema = z
  .object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() })
  .meta({ id: 'InstructionSplitCounts' });
export type SplitCounts = z.infer<typeof SplitCountsSchema>;

export const ProcessedOutputSchema = z
  .object({
    output_name: z.string(),
    output_path: z.string().describe('Folder of the split files and dataset_info.json (absolute on local storage).'),
    task_id: z.string(),
    splits: SplitCountsSchema,
    ratios: z.object({ train: z.number(), validation: z.number(), test: z.number() }).describe('Ratios used (normalized to sum 1).'),
    seed: z.number().int(),
    template: z.string(),
    files: z.array(z.string()).describe('Files written, relative to output_path.'),
    processed_at: z.string(),
  })
  .meta({ id: 'ProcessedInstructionOutput' });
export type ProcessedOutput = z.infer<typeof ProcessedOutputSchema>;

export const InstructionDatasetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    filename: z.string().describe('Uploaded file name, cleaned (basename, no control characters).'),
    file_format: InstructionFileFormatSchema,
    record_format: InstructionRecordFormatSchema,
    samples_count: z.number().int().describe('Valid records (what processing splits).'),
    size_bytes: z.number().int(),
    size_mb: z.number().describe('size_bytes / 2^20, two decimals.'),
    sha256: z.string(),
    blob_key: z.string(),
    path: z.string().describe('Stored upload (absolute on local storage).'),
    created_at: z.string(),
    owner_id: z.number().int().nullable(),
    report: InstructionReportSummarySchema,
    processed: z.array(ProcessedOutputSchema).describe('Latest output per output_name, newest last.'),
  })
  .meta({ id: 'InstructionDataset' });
export type InstructionDataset = z.infer<typeof InstructionDatasetSchema>;

export const ProcessResultSchema = z
  .object({
    task_id: z.string(),
    status: z.literal('completed'),
    dataset_id: z.string(),
    output_path: z.string(),
    splits: SplitCountsSchema,
    message: z.string(),
    processed_at: z.string(),
  })
  .meta({ id: 'InstructionProcessResult', description: 'Seed 003 answer of POST /datasets/process.' });
export type ProcessResult = z.infer<typeof ProcessResultSchema>;

export const ProcessingTaskStatusSchema = z.enum(['running', 'completed', 'failed']).meta({ id: 'ProcessingTaskStatus' });
export type ProcessingTaskStatus = z.infer<typeof ProcessingTaskStatusSchema>;

export const ProcessingTaskSchema = z
  .object({
    task_id: z.string(),
    kind: z.literal('dataset_process'),
    dataset_id: z.string(),
    output_name: z.string(),
    status: ProcessingTaskStatusSchema,
    progress: z.number().min(0).max(100).describe('Percent of the two passes over the file.'),
    created_at: z.string(),
    updated_at: z.string(),
    finished_at: z.string().optional(),
    owner_id: z.number().int().nullable(),
    error: z.string().optional().describe('Why the run failed.'),
    result: ProcessResultSchema.optional(),
    server_id: z.string().optional().describe('Several servers on one database: the server instance running the task.'),
  })
  .meta({ id: 'ProcessingTask' });
export type ProcessingTask = z.infer<typeof ProcessingTaskSchema>;
