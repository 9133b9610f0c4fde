import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCoreError } from '@yoloops/core';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import { retryableStatus, type WorkerHttp, type WorkerResponse } from './worker-http.js';

/** How long and how loudly to retry. */
export interface RetryOptions {
  backoff: BackoffOptions;
  log: (line: string) => void;
  /** Ends the retries (the promise rejects with the abort reason). */
  signal?: AbortSignal;
}

/** One try: a value, or the reason to try again. */
export type Attempt<T> = { value: T } | { retry: string };

const isUnreachable = (error: unknown) => isCoreError(error) && error.reason === 'unreachable';

/**
 * Calls `attempt` until it yields a value, waiting with capped exponential backoff (full jitter) between
 * tries; a rejection other than "server not reachable" ends it. Logs the first failure and every 10th.
 */
export async function retryUntilDone<T>(what: string, attempt: () => Promise<Attempt<T>>, options: RetryOptions): Promise<T> {
  for (let failures = 1; ; failures++) {
    options.signal?.throwIfAborted();
    const result = await attempt().catch((error: unknown): Attempt<T> => {
      if (isUnreachable(error)) return { retry: (error as Error).message };
      throw error;
    });
    if ('value' in result) {
      if (failures > 1) options.log(`yoloops worker: ${what}: done after ${failures - 1} failed tries`);
      return result.value;
    }
    if (failures === 1 || failures % 10 === 0) options.log(`yoloops worker: ${what} failed (${result.retry}); retrying`);
    await sleep(backoffDelay(failures, options.backoff), undefined, options.signal ? { signal: options.signal } : {});
  }
}

/** POSTs until the server answers with something other than 408/429/5xx (network failures retried too). */
export function postUntilAnswered(http: WorkerHttp, route: string, body: unknown, options: RetryOptions): Promise<WorkerResponse> {
  return retryUntilDone<WorkerResponse>(`POST ${route}`, async () => {
    const response = await http.post(route, body, options.signal);
    return retryableStatus(response.status) ? { retry: `HTTP ${response.status}` } : { value: response };
  }, options);
}

/** Downloads `route` into `file` (a partial file is dropped before each try), retrying network failures and 408/429/5xx. */
export function downloadUntilDone(http: WorkerHttp, download: { route: string; file: string; maxBytes: number; what: string }, options: RetryOptions): Promise<number> {
  return retryUntilDone<number>(`download of ${download.what}`, async () => {
    await rm(download.file, { force: true });
    try {
      return { value: await http.download(download.route, download.file, download.maxBytes, options.signal) };
    } catch (error) {
      if (isCoreError(error) && error.reason === 'http_status' && retryableStatus(Number(error.details.status))) return { retry: error.message };
      throw error;
    }
  }, options);
}
