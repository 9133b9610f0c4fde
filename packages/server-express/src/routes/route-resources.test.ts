import { describe, expect, test } from 'vitest';
import type { z } from 'zod';
import { declaredQueryKeys } from '../http/query-allowlist.js';
import type { Route } from '../http/route.js';
import { allRoutes } from './index.js';
import { ROUTE_RESOURCES } from './route-resources.js';

/** Every name a route takes input under: path template, query and JSON body keys, multipart fields. */
function inputNames(route: Route): { path: string[]; query: string[]; body: string[]; form: string[] } {
  const keys = (schema: z.ZodType | undefined) => Object.keys((schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {});
  return {
    path: [...route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''),
    query: keys(route.query),
    body: keys(route.body),
    form: [route.multipart?.fileField ?? [], Object.keys(route.multipart?.fields ?? {})].flat(),
  };
}

/** A name that refers to some resource (`dataset_id`, `model_ids`, seed 004's `trainTaskId`). */
const NAMES_A_RESOURCE = /_ids?$|^trainTaskId$/;

describe('ROUTE_RESOURCES (who checks the resources each route names)', () => {
  test('every route that takes an id in its path, query, body or form says who checks it', () => {
    const missing = allRoutes
      .filter((route) => Object.values(inputNames(route)).flat().some((name) => NAMES_A_RESOURCE.test(name)))
      .filter((route) => !Object.hasOwn(ROUTE_RESOURCES, route.operationId))
      .map((route) => `${route.operationId} (${route.method.toUpperCase()} ${route.path})`);
    expect(missing, 'add these routes to ROUTE_RESOURCES in routes/route-resources.ts').toEqual([]);
  });

  test('names only routes that exist', () => {
    const ids = new Set(allRoutes.map((r) => r.operationId));
    expect(Object.keys(ROUTE_RESOURCES).filter((id) => !ids.has(id))).toEqual([]);
  });

  test('each reference names an input its route really has', () => {
    const byId = new Map(allRoutes.map((r) => [r.operationId, r]));
    const wrong: string[] = [];
    for (const [operationId, declared] of Object.entries(ROUTE_RESOURCES)) {
      const route = byId.get(operationId);
      if (!route || !('refs' in declared)) continue;
      const names = inputNames(route);
      for (const ref of declared.refs) if (!names[ref.in].includes(ref.name)) wrong.push(`${operationId}: no ${ref.in} input ${ref.name}`);
    }
    expect(wrong).toEqual([]);
  });

  test('the routes of every resource kind are checked by the access middleware, and path ids under their own names', () => {
    const checked = Object.values(ROUTE_RESOURCES).flatMap((d) => ('refs' in d ? d.refs : []));
    expect(new Set(checked.map((r) => r.kind))).toEqual(new Set(['dataset', 'model', 'job', 'annotation_task', 'inference_session']));
    expect(new Set(checked.filter((r) => r.in === 'path').map((r) => r.name))).toEqual(new Set(['dataset_id', 'model_id', 'job_id', 'task_id', 'session_id']));
  });

  test('every query schema lists its parameters (the allowlist of unknown query parameters reads them)', () => {
    expect(allRoutes.filter((route) => declaredQueryKeys(route) === undefined).map((r) => r.operationId)).toEqual([]);
  });
});
