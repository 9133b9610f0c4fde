import { ValidationError } from '../../errors.js';
import type { DetectionModelSpec, OnnxModelInfo } from '../inference.types.js';
import { describeDetectionModel, type DescribeDetectionModelOptions } from '../model-spec.js';
import { readOnnxModelInfo } from './read-onnx-model-info.js';

function outside(location: string, why: string): ValidationError {
  return new ValidationError(`ONNX external data location ${JSON.stringify(location)} is not allowed: ${why}; it must be a relative path inside the model's folder`, {
    reason: 'onnx_external_data_outside',
    details: { location },
  });
}

/** A `location` as a `/`-separated relative path (`./a//b.bin` → `a/b.bin`), or throws naming it. */
function normaliseLocation(location: string): string {
  if (location === '') throw outside(location, 'it is empty');
  if (/[\u0000-\u001f\u007f]/.test(location)) throw outside(location, 'it contains NUL or control characters');
  if (location.includes('\\')) throw outside(location, 'it contains a backslash');
  if (location.startsWith('/')) throw outside(location, 'it is an absolute path');
  if (location.includes(':')) throw outside(location, 'it contains a colon (drive letter, URL or stream name)');
  const segments = location.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw outside(location, "it has a '..' segment");
  if (segments.length === 0) throw outside(location, 'it names no file');
  return segments.join('/');
}

/**
 * The files an ONNX model reads as external data, as normalised relative paths (deduplicated, in
 * order), so a caller can require that they exist beside the model. Throws `ValidationError`
 * (reason `onnx_external_data_outside`) naming the first location that is empty, absolute, has a
 * `..` segment, a backslash, a colon (drive letter), NUL or another control character.
 * @see https://onnx.ai/onnx/repo-docs/ExternalData.html
 */
export function externalDataFiles(info: Pick<OnnxModelInfo, 'externalDataLocations'>): string[] {
  return [...new Set(info.externalDataLocations.map(normaliseLocation))];
}

/**
 * Checks an uploaded `.onnx` before it is accepted: it parses (`ValidationError` `invalid_onnx`), its
 * external data stays inside its folder (`ValidationError` `onnx_external_data_outside`), and it is a
 * detection model we can run (`UnsupportedError` naming the shapes).
 * @example
 * const { info, spec } = checkOnnxModel(bytes, { classes: modelJson.classes });
 * for (const file of externalDataFiles(info)) await requireBeside(file);
 */
export function checkOnnxModel(bytes: Uint8Array, options: DescribeDetectionModelOptions = {}): { info: OnnxModelInfo; spec: DetectionModelSpec } {
  const info = readOnnxModelInfo(bytes);
  externalDataFiles(info);
  return { info, spec: describeDetectionModel(info, options) };
}
