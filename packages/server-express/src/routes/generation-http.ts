import { CoreError, type ModelLookup, type ResolvedTextModel } from '@yoloops/core';
import type { Response } from 'express';
import { mayAccess } from '../http/resource-access.js';
import { principalOf, seesEverything } from '../http/principal.js';
import type { AppServices } from '../services.js';
import { modelFolder, modelInit } from './catalog-views.js';

/**
 * How a request names models: seed 002 numbers through the resource index; a member uses only the
 * registry models it may see (its own, its projects'), others read as not registered.
 */
export function modelLookup(services: AppServices, res: Response): ModelLookup {
  const p = principalOf(res);
  return {
    byNumber: async (n) => (await services.resources.byNumber('model', n))?.id,
    ...(seesEverything(p)
      ? {}
      : { visible: async (model) => mayAccess(services, p, await services.resources.ensure('model', model.model_id, await modelInit(services, model))) }),
  };
}

/** A signal aborted when the client goes away before the answer is sent (the generation stops, its slot is freed). */
export function abortOnClose(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new CoreError('EXTERNAL_FAILURE', 'the client closed the connection before the answer', { reason: 'client_closed' }));
  });
  return controller.signal;
}

/** The `model_path` of an answer: the registry model's folder, or the upstream model's name. */
export const modelPathOf = (model: ResolvedTextModel): string => (model.model ? modelFolder(model.model.weights_path) : model.ref.id);

/** Seconds to microseconds precision. */
export const seconds = (s: number): number => Math.round(s * 1e6) / 1e6;
