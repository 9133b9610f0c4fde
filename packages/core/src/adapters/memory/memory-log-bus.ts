import type { LogBus, LogBusListener } from '../../jobs/log-bus.port.js';

/**
 * The in-process log bus (the default, one server): publish calls the job's listeners synchronously,
 * in order. Two app instances in one process share it to act as replicas.
 */
export function createMemoryLogBus(): LogBus {
  const listeners = new Map<string, Set<LogBusListener>>();
  return {
    async publish(jobId, message) {
      for (const listener of [...(listeners.get(jobId) ?? [])]) {
        try {
          listener(message);
        } catch {
          // A listener's failure is its own (a closed stream); the others still hear the message.
        }
      }
    },
    async subscribe(jobId, listener) {
      const set = listeners.get(jobId) ?? new Set<LogBusListener>();
      set.add(listener);
      listeners.set(jobId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(jobId) === set) listeners.delete(jobId);
      };
    },
    async close() {
      listeners.clear();
    },
  };
}
