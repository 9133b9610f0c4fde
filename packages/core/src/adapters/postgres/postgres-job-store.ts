import { CoreError, NotFoundError } from '../../errors.js';
import type { JobPatchInput, JobStore } from '../../jobs/job-store.port.js';
import type { Job, JobPatch, JobStatus } from '../../jobs/job.schema.js';
import { parseStoredJson } from '../../platform/safe-json.js';
import type { PostgresDatabase } from './postgres-database.js';

/** Rounds of read → conditional write one call may lose to concurrent writers before giving up. */
const MAX_ROUNDS = 100;

const merge = (current: Job, patch: JobPatch): Job =>
  parseStoredJson<Job>(JSON.stringify({ ...current, ...patch, job_id: current.job_id, status: current.status }));

type Row = { data: string; revision: string };

/**
 * `JobStore` on PostgreSQL (`training_jobs` from `POSTGRES_MIGRATIONS`): the record is JSON text with `status`
 * and `created_at` mirrored. A write reads the row, computes the record and stores it with one
 * `UPDATE … WHERE revision = $r AND status = ANY($from)`; a write that lost to another re-reads, so a lost
 * compare-and-set returns `undefined` exactly as on SQLite, and no connection is held across the round.
 * @example const jobs = createPostgresJobStore(await openPgliteDatabase());
 */
export function createPostgresJobStore(db: PostgresDatabase): JobStore {
  const readRow = async (jobId: string) =>
    (await db.query<Row>('SELECT data, revision::text AS revision FROM training_jobs WHERE job_id = $1', [jobId])).rows[0];

  /** Read-modify-write; `undefined` when the row is missing or its status left `from` (all statuses when null). */
  const write = async (jobId: string, from: readonly JobStatus[] | null, compute: (current: Job) => Job): Promise<Job | undefined> => {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const row = await readRow(jobId);
      if (row === undefined) return undefined;
      const current = parseStoredJson<Job>(row.data);
      if (from !== null && !from.includes(current.status)) return undefined;
      const next = compute(current);
      const { rows } = await db.query(
        `UPDATE training_jobs SET status = $2, data = $3, revision = revision + 1
          WHERE job_id = $1 AND revision = $4::bigint AND ($5::text[] IS NULL OR status = ANY($5::text[])) RETURNING job_id`,
        [jobId, next.status, JSON.stringify(next), row.revision, from === null ? null : [...from]],
      );
      if (rows.length === 1) return next;
    }
    throw new CoreError('CONFLICT', `job ${jobId} is being changed by too many writers at once; try again`, { details: { job_id: jobId } });
  };

  const patchOf = (patch: JobPatchInput | undefined, current: Job): JobPatch =>
    typeof patch === 'function' ? patch(parseStoredJson<Job>(JSON.stringify(current))) : (patch ?? {});

  return {
    async create(job) {
      const record = parseStoredJson<Job>(JSON.stringify(job));
      const { rows } = await db.query(
        'INSERT INTO training_jobs (job_id, created_at, status, data) VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO NOTHING RETURNING job_id',
        [record.job_id, record.created_at, record.status, JSON.stringify(record)],
      );
      if (rows.length === 0) throw new CoreError('CONFLICT', `job ${job.job_id} already exists`, { details: { job_id: job.job_id } });
    },
    async get(jobId) {
      const row = await readRow(jobId);
      return row === undefined ? undefined : parseStoredJson<Job>(row.data);
    },
    async list(filter) {
      const { rows } = await db.query<{ data: string }>(
        'SELECT data FROM training_jobs WHERE $1::text[] IS NULL OR status = ANY($1::text[]) ORDER BY created_at DESC, seq DESC',
        [filter?.status === undefined ? null : [...filter.status]],
      );
      return rows.map((row) => parseStoredJson<Job>(row.data));
    },
    async update(jobId, patch) {
      const next = await write(jobId, null, (current) => merge(current, patch));
      if (next === undefined) throw new NotFoundError(`job not found: ${jobId}`, { details: { job_id: jobId } });
      return next;
    },
    transition: (jobId, from, to, patch) => write(jobId, from, (current) => ({ ...merge(current, patchOf(patch, current)), status: to })),
    async delete(jobId, options) {
      const { rows } = await db.query(
        'DELETE FROM training_jobs WHERE job_id = $1 AND ($2::text[] IS NULL OR status = ANY($2::text[])) RETURNING job_id',
        [jobId, options?.ifStatus === undefined ? null : [...options.ifStatus]],
      );
      return rows.length > 0;
    },
  };
}
