import type { Project, ProjectStore } from '../../catalog/project-store.port.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import { storedCopy } from '../../platform/safe-json.js';

/** In-memory `ProjectStore` with the same semantics as the SQLite one. */
export function createMemoryProjectStore(deps: { clock?: Clock } = {}): ProjectStore {
  const clock = deps.clock ?? systemClock;
  const projects = new Map<number, Project>();
  let last = 0;
  return {
    async create(input) {
      last += 1;
      const now = clock.now().toISOString();
      const project: Project = {
        id: last, name: input.name, description: input.description ?? null, owner_id: input.owner_id, status: 'active', settings: storedCopy(input.settings ?? {}), created_at: now, updated_at: now,
      };
      projects.set(project.id, project);
      return storedCopy(project);
    },
    async get(id) {
      const project = projects.get(id);
      return project && storedCopy(project);
    },
    async list({ owner_id, skip, limit }) {
      const matches = [...projects.values()].filter((p) => owner_id === undefined || p.owner_id === owner_id).sort((a, b) => a.id - b.id);
      return { total: matches.length, projects: matches.slice(skip, skip + limit).map(storedCopy) };
    },
    async update(id, patch) {
      const project = projects.get(id);
      if (!project) return undefined;
      const next = storedCopy({
        ...project,
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.status !== undefined && { status: patch.status }),
        ...(patch.settings !== undefined && { settings: patch.settings }),
        updated_at: clock.now().toISOString(),
      });
      projects.set(id, next);
      return storedCopy(next);
    },
    async delete(id) {
      return projects.delete(id);
    },
  };
}
