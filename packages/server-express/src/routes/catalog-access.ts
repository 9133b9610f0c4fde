import type { EnsureResourceInput, Project, ResourceEntry, ResourceKind } from '@yoloops/core';
import { NotFoundError } from '@yoloops/core';
import type { Response } from 'express';
import { z } from 'zod';
import { principalOf, seesEverything, type Principal } from '../http/principal.js';
import type { RouteMiddleware } from '../http/register-routes.js';
import type { AppServices } from '../services.js';

/**
 * Whether the principal may see and change a resource: admins and `local` everything, a member what it
 * owns or what belongs to a project it owns (the same rule as the S001 routes' resource access).
 */
export const mayUse = (p: Principal, resource: { owner_id: number | null; project_id?: number | null }): boolean =>
  seesEverything(p) ||
  (p.kind === 'user' && (resource.owner_id === p.userId || (resource.project_id != null && p.ownedProjects?.has(resource.project_id) === true)));

/** Entries the principal may see, oldest number first (a member: its own and its projects'; agents: none). */
export const visibleEntries = (p: Principal, entries: readonly ResourceEntry[]): ResourceEntry[] => entries.filter((e) => mayUse(p, e));

/**
 * Route middleware for the seed 002 routes: gives a member principal the set of projects it owns, so
 * `mayUse` can answer synchronously (one query per request, members only).
 */
export function loadOwnedProjects(services: Pick<AppServices, 'projects'>): RouteMiddleware {
  return (route) =>
    route.dialect !== 's002' && route.dialect !== 's002+s003'
      ? []
      : [
          (_req, res, next) => {
            const p = principalOf(res);
            if (p.kind !== 'user' || seesEverything(p)) return next();
            services.projects.list({ owner_id: p.userId, skip: 0, limit: Number.MAX_SAFE_INTEGER }).then(({ projects }) => {
              res.locals.principal = { ...p, ownedProjects: new Set(projects.map((project) => project.id)) };
              next();
            }, next);
          },
        ];
}

/** A project the caller may use, else 404 `Project not found` (another member's project is never told apart from a missing one). */
export async function usableProject(services: AppServices, res: Response, projectId: number): Promise<Project> {
  const project = await services.projects.get(projectId);
  if (!project || !mayUse(principalOf(res), { owner_id: project.owner_id })) throw new NotFoundError('Project not found', { reason: 'not_found' });
  return project;
}

/** Checks an optional `project_id` of a body or query; returns it (or null). */
export async function optionalProject(services: AppServices, res: Response, projectId: number | null | undefined): Promise<number | null> {
  if (projectId === undefined || projectId === null) return null;
  return (await usableProject(services, res, projectId)).id;
}

/** A path reference to a resource: its number (`1`) or its own id (`ds_…`). */
export const isNumberRef = (ref: string): boolean => /^\d{1,15}$/.test(ref);

/**
 * The entry a path reference names, if the caller may see it: a number is looked up as is; an id is
 * indexed on first sight (`exists`: the entry's owner and project when the resource is real, else undefined) so resources made before the index get one.
 */
export async function entryOf(
  services: AppServices, res: Response, options: { kind: ResourceKind; ref: string; exists(id: string): Promise<EnsureResourceInput | undefined> },
): Promise<ResourceEntry | undefined> {
  const { kind, ref } = options;
  let entry = isNumberRef(ref) ? await services.resources.byNumber(kind, Number(ref)) : await services.resources.get(kind, ref);
  const init = entry || isNumberRef(ref) ? undefined : await options.exists(ref);
  if (!entry && init) entry = await services.resources.ensure(kind, ref, init);
  return entry && mayUse(principalOf(res), entry) ? entry : undefined;
}

/** The reason a NOT_FOUND carries, so callers can tell a miss from other errors. */
export const isNotFound = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'NOT_FOUND';

/** `project_id` of a query or body: a positive integer. */
export const ProjectIdField = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** `skip`/`limit` of seed 002's lists (`limit` ≤ 1000). */
export const pageQuery = (defaultLimit: number) => ({
  skip: z.coerce.number().int().min(0).default(0).describe('How many matches to leave out (default 0).'),
  limit: z.coerce.number().int().min(1).max(1000).default(defaultLimit).describe(`Most matches returned (default ${defaultLimit}, at most 1000).`),
});

/** `total` matches, then the page. */
export const page = <T>(items: readonly T[], skip: number, limit: number) => ({ total: items.length, items: items.slice(skip, skip + limit) });


/**
 * Records who created a new resource: `ensure` with the owner and project, and — when a list numbered
 * the resource first (owner and project still null) — sets them on that entry. Use right after a create.
 */
export async function recordCreated(services: AppServices, kind: ResourceKind, id: string, init: { owner_id: number | null; project_id?: number | null }): Promise<ResourceEntry> {
  const entry = await services.resources.ensure(kind, id, init);
  const unclaimed = entry.owner_id === null && entry.project_id === null;
  if (!unclaimed || (init.owner_id === null && (init.project_id ?? null) === null)) return entry;
  return (await services.resources.update(kind, id, { owner_id: init.owner_id, ...(init.project_id === undefined ? {} : { project_id: init.project_id }) })) ?? entry;
}
