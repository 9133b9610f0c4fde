import { hostname } from 'node:os';
import type { ServerInstance } from '../../servers/server-instance-store.port.js';

/** True while a process with this pid exists on this machine (EPERM: it exists, owned by someone else). */
function pidExists(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What this machine knows of a registered server: one of this host (same hostname) whose process is gone is dead at
 * once, whatever its last heartbeat (a server restarted after kill -9 takes over its previous life's work without
 * waiting for the timeout). Another platform of this process, or a pid reused since, falls back to the timeout.
 * Containers that share a hostname need separate pid namespaces to be told apart only by the timeout: give them distinct hostnames.
 * @example createServerRegistry({ store, clock, ...localServerIdentity() });
 */
export function localServerIdentity(): { hostname: string; pid: number; isGone: (instance: ServerInstance) => boolean } {
  const host = hostname();
  return {
    hostname: host,
    pid: process.pid,
    isGone: (instance) => instance.hostname === host && instance.pid !== process.pid && !pidExists(instance.pid),
  };
}
