import { z } from 'zod';
import { ERROR_SCHEMAS, PLAIN_DIALECTS, wrapSchema } from '../http/dialects.js';
import type { Route } from '../http/route.js';

type Json = Record<string, unknown>;
const REF = '#/components/schemas/';

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output', defs: Json): Json {
  const { $schema: _s, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as Json;
  for (const [id, def] of Object.entries(($defs ?? {}) as Json)) defs[id] ??= def;
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) return rest;
  const { id: _id, ...def } = rest;
  defs[id] ??= def;
  return { $ref: REF + id };
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query', defs: Json): Json[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => {
    const json = toJsonSchema(field, 'input', defs);
    const optional = field.safeParse(undefined).success;
    return { name, in: where, required: where === 'path' || !optional, schema: json, ...(json.description ? { description: json.description } : {}) };
  });
}

function requestBody(route: Route, defs: Json): Json | undefined {
  if (route.multipart) {
    const { fileField, fields = {}, description, repeated } = route.multipart;
    const file = { type: 'string', format: 'binary' };
    const properties: Json = { [fileField]: repeated ? { type: 'array', items: file, description } : { ...file, description } };
    for (const [name, f] of Object.entries(fields)) properties[name] = { type: f.type, description: f.description };
    const required = [fileField, ...Object.entries(fields).filter(([, f]) => f.required).map(([name]) => name)];
    return { required: true, content: { 'multipart/form-data': { schema: { type: 'object', required, properties } } } };
  }
  if (!route.body) return undefined;
  const type = route.bodyType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
  return { required: true, content: { [type]: { schema: toJsonSchema(route.body, 'input', defs) } } };
}

/** How a caller authenticates (see the auth policy): a bearer token from the login routes, or for GETs the session cookie. */
const SECURITY_SCHEMES = {
  bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A token from POST /api/v1/auth/token or /api/v1/login (not needed while auth is off).' },
  oauth2Password: { type: 'oauth2', flows: { password: { tokenUrl: '/api/v1/auth/token', scopes: {} } } },
  sessionCookie: { type: 'apiKey', in: 'cookie', name: 'yoloops_session', description: 'Set by the login routes; accepted on GET and HEAD only (images, downloads, EventSource).' },
};

/** The operation's security requirement: none for public routes and notify URLs (their secret is in the path). */
function security(route: Route): Json[] {
  const auth = route.auth ?? 'user';
  if (auth === 'public' || auth === 'notify-secret') return [];
  return [{ bearerAuth: [] }, { oauth2Password: [] }, ...(route.method === 'get' ? [{ sessionCookie: [] }] : [])];
}

/** The documented body of one response, in the route's dialect envelope. */
function bodySchema(route: Route, status: number, schema: z.ZodType): z.ZodType {
  const dialect = route.dialect ?? 's001';
  if (dialect === 's001') return schema;
  if (status >= 400) return ERROR_SCHEMAS[dialect];
  if (PLAIN_DIALECTS.has(dialect)) return schema;
  const success = wrapSchema(dialect, schema);
  return dialect === 's004' ? z.union([success, ERROR_SCHEMAS.s004]) : success;
}

function responses(route: Route, defs: Json): Json {
  const out: Json = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    if (route.dialect === 's004' && Number(status) >= 400) continue; // s004 answers every error with HTTP 200
    if (Number(status) === 204) {
      out[status] = { description: spec.description }; // no content
      continue;
    }
    const type = spec.contentType ?? 'application/json';
    const schema = spec.schema ? toJsonSchema(bodySchema(route, Number(status), spec.schema), 'output', defs) : { type: 'string', format: 'binary' };
    out[status] = { description: spec.description, content: { [type]: { schema } } };
  }
  return out;
}

const sortKeys = (obj: Json): Json => Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));

/** Builds the OpenAPI 3.1 document of a route table (stable key order, components from zod `.meta({ id })`). */
export function buildOpenApi(routes: readonly Route[], info: { title: string; version: string; description: string }): Json {
  const defs: Json = {};
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const params = [...parameters(route.params, 'path', defs), ...parameters(route.query, 'query', defs)];
    const body = requestBody(route, defs);
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      ...(params.length ? { parameters: params } : {}),
      ...(body ? { requestBody: body } : {}),
      responses: responses(route, defs),
      security: security(route),
    };
  }
  const doc = { openapi: '3.1.0', info, paths: sortKeys(paths), components: { schemas: sortKeys(defs), securitySchemes: SECURITY_SCHEMES } };
  return JSON.parse(JSON.stringify(doc).replaceAll('"#/$defs/', `"${REF}`)) as Json;
}
