/** A JSON value a settings key holds. */
export type SettingValue = string | number | boolean | null | SettingValue[] | { [key: string]: SettingValue };

/**
 * A small persisted key → JSON store for settings (GPU thresholds, each user's preferences). Values
 * come back as fresh copies; keys are 1–200 printable characters.
 */
export interface SettingsStore {
  get(key: string): Promise<SettingValue | undefined>;
  /** Stores (or replaces) the value; the store keeps when it was last written. */
  set(key: string, value: SettingValue): Promise<void>;
  /** true when the key existed. */
  delete(key: string): Promise<boolean>;
  /** Every key starting with `prefix`, sorted. */
  keys(prefix?: string): Promise<string[]>;
}
