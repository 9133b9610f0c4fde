import { CoreError, NotFoundError } from '../../errors.js';
import type { InstructionDatasetStore } from '../../instructions/instruction-dataset-store.port.js';
import type { InstructionDataset } from '../../instructions/instruction.schema.js';
import { storedCopy as clone } from '../../platform/safe-json.js';

const byNewest = (a: InstructionDataset, b: InstructionDataset) =>
  a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1;

/**
 * `InstructionDatasetStore` on a map; records go in and out as copies.
 * @example const store = createMemoryInstructionDatasetStore();
 */
export function createMemoryInstructionDatasetStore(): InstructionDatasetStore {
  const records = new Map<string, InstructionDataset>();
  return {
    async create(dataset) {
      if (records.has(dataset.id)) throw new CoreError('CONFLICT', `instruction dataset ${dataset.id} already exists`, { details: { dataset_id: dataset.id } });
      records.set(dataset.id, clone(dataset));
    },
    get: async (id) => {
      const found = records.get(id);
      return found === undefined ? undefined : clone(found);
    },
    list: async () => clone([...records.values()].sort(byNewest)),
    async update(id, patch) {
      const current = records.get(id);
      if (current === undefined) throw new NotFoundError(`instruction dataset not found: ${id}`, { details: { dataset_id: id } });
      const next = clone({ ...current, ...patch, id });
      records.set(id, next);
      return clone(next);
    },
    delete: async (id) => records.delete(id),
  };
}
