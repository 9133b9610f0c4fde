/** What a dispatcher puts on a queue: one attempt of one job, and the labels its worker must have. */
export interface DispatchRequest {
  job_id: string;
  attempt: number;
  worker_labels?: Readonly<Record<string, string>> | undefined;
}

/**
 * Hands queued job attempts to remote workers (dispatch mode: BullMQ on Redis, or in-process).
 * Dispatching the same attempt twice adds one message while the first is pending; `redelivery` adds a
 * second message for the same attempt (its worker went silent, so another worker should claim the job).
 */
export interface JobDispatcher {
  /** Adds the message (idempotent per attempt, and per attempt's re-delivery); rejects when the queue cannot be reached. */
  dispatch(request: DispatchRequest, options?: { redelivery?: boolean }): Promise<void>;
  /** Releases connections; later dispatches reject. */
  close(): Promise<void>;
}
