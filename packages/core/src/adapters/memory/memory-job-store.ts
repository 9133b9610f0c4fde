import { CoreError, NotFoundError } from '../../errors.js';
import type { JobStore } from '../../jobs/job-store.port.js';
import type { Job, JobPatch } from '../../jobs/job.schema.js';
import { storedCopy as clone } from '../../platform/safe-json.js';

/** Applies a patch the way every JobStore does: `undefined` keys removed, id and status kept. */
const merge = (current: Job, patch: JobPatch): Job => clone({ ...current, ...patch, job_id: current.job_id, status: current.status });

/**
 * `JobStore` on a map kept in insertion order; every value goes in and out as a copy, and each
 * compare-and-set runs without an `await` in between, so it is atomic within the process.
 * @example const jobs = createMemoryJobStore();
 */
export function createMemoryJobStore(): JobStore {
  const jobs = new Map<string, { job: Job; seq: number }>();
  let seq = 0;
  const newestFirst = (a: { job: Job; seq: number }, b: { job: Job; seq: number }) =>
    a.job.created_at === b.job.created_at ? b.seq - a.seq : a.job.created_at < b.job.created_at ? 1 : -1;

  return {
    async create(job) {
      if (jobs.has(job.job_id)) throw new CoreError('CONFLICT', `job ${job.job_id} already exists`, { details: { job_id: job.job_id } });
      jobs.set(job.job_id, { job: clone(job), seq: seq++ });
    },
    get: async (jobId) => {
      const found = jobs.get(jobId);
      return found === undefined ? undefined : clone(found.job);
    },
    list: async (filter) =>
      [...jobs.values()]
        .filter(({ job }) => filter?.status === undefined || filter.status.includes(job.status))
        .sort(newestFirst)
        .map(({ job }) => clone(job)),
    async update(jobId, patch) {
      const found = jobs.get(jobId);
      if (found === undefined) throw new NotFoundError(`job not found: ${jobId}`, { details: { job_id: jobId } });
      found.job = merge(found.job, patch);
      return clone(found.job);
    },
    async transition(jobId, from, to, patch = {}) {
      const found = jobs.get(jobId);
      if (found === undefined || !from.includes(found.job.status)) return undefined;
      const changes = typeof patch === 'function' ? patch(clone(found.job)) : patch;
      found.job = { ...merge(found.job, changes), status: to };
      return clone(found.job);
    },
    async delete(jobId, options) {
      const found = jobs.get(jobId);
      if (found === undefined || (options?.ifStatus !== undefined && !options.ifStatus.includes(found.job.status))) return false;
      return jobs.delete(jobId);
    },
  };
}
