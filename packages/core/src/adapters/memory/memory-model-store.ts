import { CoreError, NotFoundError } from '../../errors.js';
import type { ModelStore } from '../../models/model-store.port.js';
import type { Model } from '../../models/model.schema.js';
import { storedCopy } from '../../platform/safe-json.js';

const byNewest = (a: Model, b: Model) =>
  a.created_at === b.created_at ? (a.model_id < b.model_id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1;

const latest = (stored: string | undefined, at: string) => (stored !== undefined && stored > at ? stored : at);

/** In-memory `ModelStore` with the same semantics as the SQLite one. */
export function createMemoryModelStore(): ModelStore {
  const models = new Map<string, Model>();
  return {
    async create(model) {
      if (models.has(model.model_id)) throw new CoreError('CONFLICT', `model ${model.model_id} already exists`);
      models.set(model.model_id, storedCopy(model));
    },
    async get(modelId) {
      const model = models.get(modelId);
      return model && storedCopy(model);
    },
    async list() {
      return [...models.values()].sort(byNewest).map(storedCopy);
    },
    async update(modelId, patch) {
      const model = models.get(modelId);
      if (!model) throw new NotFoundError(`model not found: ${modelId}`);
      const next = storedCopy({ ...model, ...patch, model_id: modelId });
      models.set(modelId, next);
      return storedCopy(next);
    },
    async delete(modelId) {
      return models.delete(modelId);
    },
    async findByJob(jobId) {
      const model = [...models.values()].find((m) => m.job_id === jobId);
      return model && storedCopy(model);
    },
    async recordUse(modelId, at) {
      const model = models.get(modelId);
      if (!model) return undefined;
      const next = storedCopy({ ...model, usage_count: (model.usage_count ?? 0) + 1, last_used: latest(model.last_used, at) });
      models.set(modelId, next);
      return storedCopy(next);
    },
  };
}
