import { collectFinetuneOutputs } from './finetune-outputs.js';
import { FINETUNE_CONFIG_NAME, renderLlamaFactoryYaml, toLlamaFactoryConfig } from './llamafactory-config.js';
import { jobKeys, type LocalBlobStore } from './job-paths.js';
import { RESUMED_FROM_START } from './job-requests.js';
import type { JobStore } from './job-store.port.js';
import type { Job, JobPatch } from './job.schema.js';

/** Called once a job has completed (for a fine-tune, after its `outputs` were collected). */
export type OnJobCompleted = (job: Job) => void | Promise<void>;

const failure = (error: unknown) =>
  `the job completed, but handling its outputs failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 1000);

/**
 * What the runner and the trainer reports do when a job turns `completed`: `patch` runs before the move
 * (a fine-tune's run folder is searched with `collectFinetuneOutputs`, so a completed fine-tune always
 * carries its `outputs`), `after` runs once the move is stored (`onCompleted`, e.g. registering the
 * adapter). A failure of either is stored as `completion_error` and never undoes the completion.
 */
export function createCompletionHook(deps: { jobs: JobStore; blobs: LocalBlobStore; onCompleted?: OnJobCompleted | undefined }) {
  return {
    async patch(job: Job): Promise<JobPatch> {
      if (job.kind !== 'llm-finetune') return {};
      try {
        return { outputs: await collectFinetuneOutputs(deps.blobs, jobKeys(job.job_id).run), completion_error: undefined };
      } catch (error) {
        return { completion_error: failure(error) };
      }
    },
    async after(job: Job): Promise<void> {
      try {
        await deps.onCompleted?.(job);
      } catch (error) {
        await deps.jobs.update(job.job_id, { completion_error: failure(error) }).catch(() => undefined);
      }
    },
  };
}

/** The two steps of a completion (see `createCompletionHook`). */
export type CompletionHook = ReturnType<typeof createCompletionHook>;

/**
 * Writes the attempt's trainer YAML into the run folder and returns its path (`{config}`): a resumed
 * attempt (`resumed_from` a checkpoint folder) carries `resume_from_checkpoint`.
 */
export async function writeFinetuneConfig(blobs: LocalBlobStore, job: Job): Promise<string> {
  if (job.llm === undefined) throw new Error(`job ${job.job_id} is an llm-finetune job without its llm block`);
  const resumeFrom = job.attempt > 1 && job.resumed_from !== undefined && job.resumed_from !== RESUMED_FROM_START ? job.resumed_from : undefined;
  const config = toLlamaFactoryConfig(job.llm, { outputDir: job.run_dir, ...(resumeFrom === undefined ? {} : { resumeFrom }) });
  const key = `${jobKeys(job.job_id).run}/${FINETUNE_CONFIG_NAME}`;
  await blobs.write(key, renderLlamaFactoryYaml(config));
  return blobs.localPath(key);
}
