import { ValidationError } from '../errors.js';

// eslint-disable-next-line no-control-regex
const KEY = /^[^\u0000-\u001f\u007f]{1,200}$/;

/** Throws `ValidationError` unless `key` is a usable settings key (1–200 characters, no control characters). */
export function checkSettingsKey(key: string): void {
  if (typeof key !== 'string' || !KEY.test(key)) throw new ValidationError('a settings key must be 1–200 characters without control characters', { reason: 'invalid_settings_key' });
}
