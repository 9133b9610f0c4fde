import { stat } from 'node:fs/promises';
import { NotFoundError } from '../../errors.js';
import { createDetector, type Detector, type DetectorOptions } from './create-detector.js';

/** Where a model's weights are, and what identifies this version of them. */
export interface DetectorSource {
  weightsPath: string;
  /** Weights digest from the registry; with the file's size and mtime it decides whether a cached session is stale. */
  sha256?: string;
  classes?: readonly string[];
}

export interface DetectorCacheOptions extends Omit<DetectorOptions, 'classes'> {
  /** Sessions kept at most; the least recently used one is closed past this (default 4). */
  maxSessions?: number;
}

export interface DetectorCache {
  /** The model's detector, loaded on first use and reloaded when its weights or classes changed. */
  get(modelId: string, source: DetectorSource): Promise<Detector>;
  /** Drops the model's session (call on model update or delete); detections in flight finish first. */
  evict(modelId: string): Promise<void>;
  /** Closes every session. */
  close(): Promise<void>;
}

interface Entry {
  key: string;
  detector: Promise<Detector>;
}

async function versionKey(source: DetectorSource): Promise<string> {
  const info = await stat(source.weightsPath).catch((error: unknown) => {
    throw new NotFoundError(`model weights not found: ${source.weightsPath}`, { reason: 'weights_missing', cause: error });
  });
  return JSON.stringify([source.weightsPath, source.sha256 ?? '', info.size, info.mtimeMs, info.ino, source.classes ?? null]);
}

/**
 * Keeps one loaded detector per model id: concurrent first uses share one load, a changed weights
 * file (digest, size, mtime or inode) or class list loads afresh and closes the old session once its
 * detections are done.
 * @example
 * const detectors = createDetectorCache();
 * const detector = await detectors.get(model.model_id, { weightsPath: model.weights_path, classes: model.classes });
 */
export function createDetectorCache(options: DetectorCacheOptions = {}): DetectorCache {
  const entries = new Map<string, Entry>();
  const maxSessions = Math.max(1, options.maxSessions ?? 4);

  const drop = async (entry: Entry | undefined): Promise<void> => {
    if (entry === undefined) return;
    await entry.detector.then((d) => d.close(), () => undefined);
  };

  const remove = (modelId: string): Entry | undefined => {
    const entry = entries.get(modelId);
    entries.delete(modelId);
    return entry;
  };

  return {
    async get(modelId, source) {
      const key = await versionKey(source);
      const current = entries.get(modelId);
      if (current?.key === key) {
        entries.delete(modelId); // re-insert: Map order is recency order
        entries.set(modelId, current);
        return current.detector;
      }
      void drop(remove(modelId));
      const detector = createDetector(source.weightsPath, { ...options, ...(source.classes === undefined ? {} : { classes: source.classes }) });
      const entry: Entry = { key, detector };
      entries.set(modelId, entry);
      detector.catch(() => {
        if (entries.get(modelId) === entry) entries.delete(modelId);
      });
      while (entries.size > maxSessions) void drop(remove(entries.keys().next().value!));
      return detector;
    },
    evict: (modelId) => drop(remove(modelId)),
    async close() {
      const all = [...entries.keys()].map((id) => drop(remove(id)));
      await Promise.all(all);
    },
  };
}
