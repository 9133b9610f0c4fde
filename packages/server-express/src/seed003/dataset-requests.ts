import { checkNumber, checkRequiredText, checkString, say, valueOr } from './field-rules.js';
import { has, isBlank, isDict, isPyNumber, type JsonObject } from './python-checks.js';
import { NOT_AN_OBJECT, SEED003_INVALID, throwIfInvalid } from './seed003-request-error.js';

/** Formats an instruction dataset file may have: the origin's json and csv, and JSON Lines. */
export type InstructionFileFormat = 'json' | 'csv' | 'jsonl';

/** What a multipart upload carried: the `file` part's name (absent: no `file` part with a filename) and the text fields. */
export interface DatasetUploadParts {
  file: { filename: string } | undefined;
  fields: Readonly<Record<string, string>>;
}

export interface DatasetUploadRequest {
  name: string;
  /** Default `''`. */
  description: string;
  /** The `format` field, else the file's extension (the origin defaulted to json even for a .csv file). */
  format: InstructionFileFormat;
}

const FORMATS = new Set<string>(['json', 'csv', 'jsonl']);
const extensionOf = (filename: string): InstructionFileFormat | undefined => {
  const ext = /\.(json|csv|jsonl)$/i.exec(filename)?.[1]?.toLowerCase();
  return ext as InstructionFileFormat | undefined;
};

/**
 * The origin's `validate_dataset_upload`, in its order. We also take `.jsonl` files and `format: jsonl`,
 * and extensions in any case (`DATA.JSON`); the origin refused those, so no client of it relied on them.
 */
export function datasetUploadErrors(parts: DatasetUploadParts): string[] {
  const errors: string[] = [];
  const { file, fields } = parts;
  if (file === undefined) errors.push(say.missing('file'));
  else if (file.filename === '') errors.push('未选择文件');
  else if (extensionOf(file.filename) === undefined) errors.push('文件格式必须是 JSON 或 CSV');
  if (!Object.hasOwn(fields, 'name')) errors.push(say.missing('name'));
  else if (isBlank(fields.name ?? '')) errors.push(say.empty('name'));
  if (Object.hasOwn(fields, 'format') && !FORMATS.has(fields.format ?? '')) errors.push("'format' 必须是 'json' 或 'csv'");
  return errors;
}

/**
 * Seed 003's `POST /datasets/upload` parts, checked as the origin does. Flask read the whole body
 * before validating, and a client may send `name` after the file: call it once the body is read
 * (e.g. `receiveEachFile(req, { field: 'file', maxFiles: 1, required: false }, streamToTempFile)`),
 * and delete the streamed file when it throws.
 * @throws Seed003RequestError 400 "Invalid dataset upload request" listing every problem.
 */
export function validateDatasetUpload(parts: DatasetUploadParts): DatasetUploadRequest {
  throwIfInvalid(SEED003_INVALID.datasetUpload, datasetUploadErrors(parts));
  const { fields } = parts;
  const format = (fields.format as InstructionFileFormat | undefined) ?? extensionOf(parts.file!.filename)!;
  return { name: fields.name!, description: fields.description ?? '', format };
}

export interface DatasetProcessRequest {
  dataset_id: string;
  output_name: string;
  /** (0, 1] (default 0.8). */
  train_ratio: number;
  /** [0, 1) (default 0.1). */
  val_ratio: number;
  /** [0, 1) (default 0.1). */
  test_ratio: number;
  /** Absent: the default `### 指令:\n{instruction}\n\n### 回答:\n{response}`. */
  template: string | undefined;
  /** Whether all three ratios were sent (then they sum to 1 ± 1e-6; otherwise the origin checked no sum). */
  ratiosGiven: boolean;
}

export const PROCESS_DEFAULTS = { train_ratio: 0.8, val_ratio: 0.1, test_ratio: 0.1 } as const;

const RATIOS = ['train_ratio', 'val_ratio', 'test_ratio'] as const;
const MAX_NAME_CHARS = 200;
// A path separator, a control character, or a dot-only name: `output_name` names a directory we create.
const UNSAFE_NAME = /[/\\\u0000-\u001f\u007f]|^\.{1,2}$/; // eslint-disable-line no-control-regex

/** Our rule for `output_name` (it becomes a directory; the origin never checked): after the origin's, only when those pass. */
function outputNameErrors(data: JsonObject, errors: string[]): void {
  const name = data.output_name;
  if (typeof name !== 'string' || isBlank(name)) return;
  if (UNSAFE_NAME.test(name.trim()) || name.length > MAX_NAME_CHARS) {
    errors.push(`'output_name' 不能包含 '/'、'\\' 或控制字符，不能是 '.' 或 '..'，最多 ${MAX_NAME_CHARS} 个字符`);
  }
}

/** The origin's `validate_dataset_process`, in its order. */
export function datasetProcessErrors(body: unknown): string[] {
  if (!isDict(body)) return [NOT_AN_OBJECT];
  const errors: string[] = [];
  if (!has(body, 'dataset_id')) errors.push(say.missing('dataset_id'));
  else if (typeof body.dataset_id !== 'string') errors.push(say.notString('dataset_id'));
  checkRequiredText(body, 'output_name', errors);
  outputNameErrors(body, errors);
  checkNumber(body, 'train_ratio', (n) => n > 0 && n <= 1, say.between('train_ratio', 0, 1), errors);
  checkNumber(body, 'val_ratio', (n) => n >= 0 && n < 1, say.between('val_ratio', 0, 1), errors);
  checkNumber(body, 'test_ratio', (n) => n >= 0 && n < 1, say.between('test_ratio', 0, 1), errors);
  // The origin summed whatever was sent (a string or null there raised a TypeError, a 500): we sum numbers only.
  const ratios = RATIOS.map((key) => body[key]);
  if (RATIOS.every((key) => has(body, key)) && ratios.every(isPyNumber)) {
    const total = (ratios as number[]).reduce((a, b) => a + b, 0);
    if (Math.abs(total - 1) > 1e-6) errors.push("'train_ratio'、'val_ratio' 和 'test_ratio' 的总和必须为 1");
  }
  checkString(body, 'template', errors);
  return errors;
}

/**
 * Seed 003's `POST /datasets/process` body, checked as the origin does, with its defaults applied.
 * @throws Seed003RequestError 400 "Invalid dataset process request" listing every problem.
 */
export function validateDatasetProcess(body: unknown): DatasetProcessRequest {
  throwIfInvalid(SEED003_INVALID.datasetProcess, datasetProcessErrors(body));
  const data = body as JsonObject;
  return {
    dataset_id: data.dataset_id as string,
    output_name: data.output_name as string,
    train_ratio: valueOr(data, 'train_ratio', PROCESS_DEFAULTS.train_ratio),
    val_ratio: valueOr(data, 'val_ratio', PROCESS_DEFAULTS.val_ratio),
    test_ratio: valueOr(data, 'test_ratio', PROCESS_DEFAULTS.test_ratio),
    template: valueOr<string | undefined>(data, 'template', undefined),
    ratiosGiven: RATIOS.every((key) => has(data, key)),
  };
}
