import type { ResourceEntry, ResourceKind } from '@yoloops/core';
import type { Response } from 'express';
import { ownerIdOf, principalOf, seesEverything } from '../http/principal.js';
import { mayAccess, type ProjectOwners } from '../http/resource-access.js';
import type { AppServices } from '../services.js';

type Index = Pick<AppServices, 'resources' | 'projects'>;

/**
 * Records who owns a resource the request just made (default: the caller; `null` with auth off) and
 * its project; an entry a list made first (owner `null`) takes them too.
 */
export async function recordOwner(
  services: Index, res: Response, kind: ResourceKind, id: string, init: { owner_id?: number | null; project_id?: number | null } = {},
): Promise<ResourceEntry> {
  const owner_id = init.owner_id !== undefined ? init.owner_id : ownerIdOf(principalOf(res));
  const project_id = init.project_id ?? null;
  const entry = await services.resources.ensure(kind, id, { owner_id, project_id });
  if (entry.owner_id === owner_id && entry.project_id === project_id) return entry;
  return (await services.resources.update(kind, id, { owner_id, project_id })) ?? entry;
}

/** Forgets a deleted resource's entries (its number is never reused); `task` too, seed 002's numbering of the same work. */
export async function forgetResource(services: Index, kind: ResourceKind, id: string): Promise<void> {
  await services.resources.remove(kind, id);
  if (kind === 'dataset' || kind === 'job') await services.resources.remove('task', id);
}

/** The project a resource of this kind belongs to (`null` when none or unknown), for what is made from it. */
export const projectOf = async (services: Index, kind: ResourceKind, id: string): Promise<number | null> =>
  (await services.resources.get(kind, id))?.project_id ?? null;

/** The items of a list the caller may see: all for admins and `local`; for a member those it owns or whose project it owns. */
export async function visibleItems<T>(services: Index, res: Response, kind: ResourceKind, items: readonly T[], idOf: (item: T) => string): Promise<T[]> {
  const p = principalOf(res);
  if (seesEverything(p)) return [...items];
  const projectOwners = new Map<number, number | null>();
  const projects: ProjectOwners = {
    async get(projectId) {
      if (!projectOwners.has(projectId)) projectOwners.set(projectId, (await services.projects.get(projectId))?.owner_id ?? null);
      return { owner_id: projectOwners.get(projectId) ?? null };
    },
  };
  const visible = new Set<string>();
  for (const entry of await services.resources.list(kind)) if (await mayAccess({ projects }, p, entry)) visible.add(entry.id);
  return items.filter((item) => visible.has(idOf(item)));
}
