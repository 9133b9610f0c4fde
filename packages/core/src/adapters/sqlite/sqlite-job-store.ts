import { CoreError, NotFoundError } from '../../errors.js';
import type { JobStore } from '../../jobs/job-store.port.js';
import type { Job, JobPatch } from '../../jobs/job.schema.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

const merge = (current: Job, patch: JobPatch): Job =>
  parseStoredJson<Job>(JSON.stringify({ ...current, ...patch, job_id: current.job_id, status: current.status }));

const statusList = (statuses: readonly string[] | undefined) => (statuses === undefined ? null : JSON.stringify(statuses));

/**
 * `JobStore` on SQLite (`training_jobs` from `MIGRATIONS`): the record is a JSON column with `status`
 * and `created_at` mirrored; every compare-and-set is one immediate transaction.
 * @example const jobs = createSqliteJobStore(openSqliteDatabase(file));
 */
export function createSqliteJobStore(db: SqliteDatabase): JobStore {
  const q = {
    insert: db.prepare<[string, string, string, string]>(
      'INSERT INTO training_jobs (job_id, created_at, status, data) VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING',
    ),
    get: db.prepare<[string], string>('SELECT data FROM training_jobs WHERE job_id = ?').pluck(),
    list: db.prepare<[{ statuses: string | null }], string>(
      'SELECT data FROM training_jobs WHERE @statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)) ORDER BY created_at DESC, seq DESC',
    ).pluck(),
    save: db.prepare<[string, string, string]>('UPDATE training_jobs SET status = ?, data = ? WHERE job_id = ?'),
    delete: db.prepare<[{ id: string; statuses: string | null }]>(
      'DELETE FROM training_jobs WHERE job_id = @id AND (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))',
    ),
  };
  const read = (jobId: string): Job | undefined => {
    const data = q.get.get(jobId);
    return data === undefined ? undefined : parseStoredJson<Job>(data);
  };

  const update = db.transaction((jobId: string, patch: JobPatch): Job => {
    const current = read(jobId);
    if (current === undefined) throw new NotFoundError(`job not found: ${jobId}`, { details: { job_id: jobId } });
    const next = merge(current, patch);
    q.save.run(next.status, JSON.stringify(next), jobId);
    return next;
  });
  const transition = db.transaction((jobId: string, from: readonly string[], to: Job['status'], patch: Parameters<JobStore['transition']>[3]) => {
    const current = read(jobId);
    if (current === undefined || !from.includes(current.status)) return undefined;
    const next: Job = { ...merge(current, typeof patch === 'function' ? patch(parseStoredJson<Job>(JSON.stringify(current))) : (patch ?? {})), status: to };
    q.save.run(to, JSON.stringify(next), jobId);
    return next;
  });

  return {
    async create(job) {
      const record = parseStoredJson<Job>(JSON.stringify(job));
      if (q.insert.run(record.job_id, record.created_at, record.status, JSON.stringify(record)).changes === 0) {
        throw new CoreError('CONFLICT', `job ${job.job_id} already exists`, { details: { job_id: job.job_id } });
      }
    },
    get: async (jobId) => read(jobId),
    list: async (filter) => q.list.all({ statuses: statusList(filter?.status) }).map((d) => parseStoredJson<Job>(d)),
    update: async (jobId, patch) => update.immediate(jobId, patch),
    transition: async (jobId, from, to, patch) => transition.immediate(jobId, from, to, patch),
    delete: async (jobId, options) => q.delete.run({ id: jobId, statuses: statusList(options?.ifStatus) }).changes > 0,
  };
}
