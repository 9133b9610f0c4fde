import type { ResourceEntry, ResourceIndex, ResourceKind } from '../../catalog/resource-index.port.js';
import { CoreError } from '../../errors.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import { storedCopy } from '../../platform/safe-json.js';

/** In-memory `ResourceIndex` with the same semantics as the SQLite one. */
export function createMemoryResourceIndex(deps: { clock?: Clock } = {}): ResourceIndex {
  const clock = deps.clock ?? systemClock;
  const entries = new Map<string, ResourceEntry>();
  const last = new Map<ResourceKind, number>();
  const key = (kind: ResourceKind, id: string) => `${kind}\u0000${id}`;
  const find = (kind: ResourceKind, id: string) => entries.get(key(kind, id));
  return {
    async ensure(kind, id, init = {}) {
      const existing = find(kind, id);
      if (existing) return storedCopy(existing);
      const number = (last.get(kind) ?? 0) + 1;
      last.set(kind, number);
      const entry: ResourceEntry = {
        kind, id, number, owner_id: init.owner_id ?? null, project_id: init.project_id ?? null, meta: storedCopy(init.meta ?? {}), created_at: clock.now().toISOString(),
      };
      entries.set(key(kind, id), entry);
      return storedCopy(entry);
    },
    async get(kind, id) {
      const entry = find(kind, id);
      return entry && storedCopy(entry);
    },
    async byNumber(kind, number) {
      const entry = [...entries.values()].find((e) => e.kind === kind && e.number === number);
      return entry && storedCopy(entry);
    },
    async list(kind, filter = {}) {
      return [...entries.values()]
        .filter((e) => e.kind === kind && (filter.owner_id === undefined || e.owner_id === filter.owner_id) && (filter.project_id === undefined || e.project_id === filter.project_id))
        .sort((a, b) => a.number - b.number)
        .map(storedCopy);
    },
    async update(kind, id, patch) {
      const entry = find(kind, id);
      if (!entry) return undefined;
      if (patch.owner_id !== undefined) entry.owner_id = patch.owner_id;
      if (patch.project_id !== undefined) entry.project_id = patch.project_id;
      if (patch.meta !== undefined) entry.meta = storedCopy({ ...entry.meta, ...patch.meta });
      return storedCopy(entry);
    },
    async rebind(kind, fromId, toId) {
      const entry = find(kind, fromId);
      if (!entry) return undefined;
      if (fromId === toId) return storedCopy(entry);
      if (find(kind, toId)) throw new CoreError('CONFLICT', `${kind} ${toId} already has a number`);
      entries.delete(key(kind, fromId));
      entry.id = toId;
      entries.set(key(kind, toId), entry);
      return storedCopy(entry);
    },
    async remove(kind, id) {
      entries.delete(key(kind, id));
    },
    async detachProject(projectId) {
      for (const entry of entries.values()) if (entry.project_id === projectId) entry.project_id = null;
    },
  };
}
