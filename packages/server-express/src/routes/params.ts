import { RESOURCE_ID_PATTERN } from '@yoloops/core';
import { z } from 'zod';

/** A server-made id (`ds_…`, `task_…`): letters, digits, `_` and `-` only — never a path. */
export const idParam = (name: string) =>
  z.string().regex(RESOURCE_ID_PATTERN, `${name} must be 1–128 letters, digits, "_" or "-"`);

/**
 * A reference to a resource: its id or its number (the one seed 002's routes show; at most 15 digits).
 * The access check resolves it before the handler and answers another member's resource as a missing one.
 */
export const refParam = (name: string, what: string, example: string) =>
  idParam(name).describe(`The ${what}'s id (\`${example}\`) or its number (\`1\`, as seed 002's routes show it). Another member's ${what} is a 404.`);

/** An image id (a file stem): any text except path separators, control characters and dot-only names. */
export const imageIdParam = z
  .string()
  .min(1)
  .max(255)
  // eslint-disable-next-line no-control-regex
  .regex(/^(?!\.{1,2}$)[^/\\\u0000-\u001f]+$/, 'image_id must not contain "/", "\\", control characters, or be "." or ".."');

/**
 * A name people choose (an experiment name, in any script): 1–200 characters, no path separators,
 * control characters, or dot-only names.
 */
export const nameParam = (name: string) =>
  z
    .string()
    .min(1, `${name} must not be empty`)
    .max(200, `${name} must be at most 200 characters`)
    // eslint-disable-next-line no-control-regex
    .regex(/^(?!\.{1,2}$)[^/\\\u0000-\u001f\u007f]+$/, `${name} must not contain "/", "\\", control characters, or be "." or ".."`);

export const versionQuery = z.string().regex(/^v\d{1,6}$/, 'version must look like v1').default('v1');

/** `{ detail, code }`: how every S001 route reports an error. */
export const ErrorSchema = z
  .object({
    detail: z.string().describe('What went wrong, for a person.'),
    code: z.string().describe('Stable machine-readable reason, e.g. `unsafe_path`, `not_found`.'),
    errors: z.array(z.object({ loc: z.array(z.string()), msg: z.string(), type: z.string() })).optional(),
  })
  .meta({ id: 'Error' });

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: ERROR_TEXT[s] ?? 'Error', schema: ErrorSchema }]));

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input (bad id, unsafe ZIP entry, malformed body…)',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Too large',
  415: 'Unsupported content',
  422: 'Request validation failed',
};

/** Route fields for a path seeds 002 and 003 both serve: errors carry both seeds' bodies (the `s002+s003` dialect). */
export const SHARED_WITH_SEED003 = { dialect: 's002+s003' as const };
