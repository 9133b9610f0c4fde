import { collectFinetuneOutputs } from './finetune-outputs.js';
import { FINETUNE_CONFIG_NAME, renderLlamaFactoryYaml, toLlamaFactoryConfig } from './llamafactory-config.js';
import { jobKeys, type LocalBlobStore } from './job-paths.js';
import { RESUMED_FROM_START } from './job-requests.js';
import type { JobStore } from './job-store.port.js';
import type { Job } from './job.schema.js';

/** Called once a job has completed (for a fine-tune, after its `outputs` were collected). */
export type OnJobCompleted = (job: Job) => void | Promise<void>;

/**
 * The hook the runner and the trainer reports call when a job turns `completed`: a fine-tune's run
 * folder is searched (`collectFinetuneOutputs`) and the result stored as the job's `outputs`, then
 * `onCompleted` (e.g. registering the adapter) runs. A failure of either is stored as `completion_error`
 * and never undoes the completion.
 */
export function createCompletionHook(deps: { jobs: JobStore; blobs: LocalBlobStore; onCompleted?: OnJobCompleted | undefined }) {
  return async (completed: Job): Promise<void> => {
    try {
      let job = completed;
      if (job.kind === 'llm-finetune') {
        job = await deps.jobs.update(job.job_id, { outputs: await collectFinetuneOutputs(deps.blobs, jobKeys(job.job_id).run), completion_error: undefined });
      }
      await deps.onCompleted?.(job);
    } catch (error) {
      const message = `the job completed, but handling its outputs failed: ${error instanceof Error ? error.message : String(error)}`;
      await deps.jobs.update(completed.job_id, { completion_error: message.slice(0, 1000) }).catch(() => undefined);
    }
  };
}

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
