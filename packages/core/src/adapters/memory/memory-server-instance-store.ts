import type { ServerInstance, ServerInstanceStore } from '../../servers/server-instance-store.port.js';

/** In-memory `ServerInstanceStore` (servers of one process: tests, embedders without a database). */
export function createMemoryServerInstanceStore(): ServerInstanceStore {
  const instances = new Map<string, ServerInstance>();
  return {
    async heartbeat(instance) {
      instances.set(instance.instance_id, { ...instance });
    },
    list: async () => [...instances.values()].sort((a, b) => (a.instance_id < b.instance_id ? -1 : 1)).map((i) => ({ ...i })),
    remove: async (instanceId) => instances.delete(instanceId),
    async forgetStaleAfter(before) {
      let removed = 0;
      for (const [id, instance] of instances) {
        if (instance.last_heartbeat < before) {
          instances.delete(id);
          removed += 1;
        }
      }
      return removed;
    },
  };
}
