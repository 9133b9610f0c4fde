import { createClient, type YoloopsClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAuthServer, type AuthServer } from './support/auth.js';
import { scriptedFinetuneJobs, trainerLog } from './support/finetune.js';
import { alpacaRecords } from './support/instruction-data.js';
import { waitFor } from './support/training.js';

// Seed 002's training routes with the language-model templates (lora, qlora, full-finetune): submit on a processed
// instruction dataset, the jobs and tasks lists, and the step-level loss curve, over the scripted llamafactory-cli
// under the real trainer agent.

let s: AuthServer;
let alice: { token: string; client: YoloopsClient };
let bobToken: string;
let projectId: number;
let dataset: { id: string; number: number };
let unprocessed: number;

beforeAll(async () => {
  s = await startAuthServer({ jobs: scriptedFinetuneJobs(30) });
  const member = await s.member('alice');
  alice = { token: member.token, client: createClient({ baseUrl: s.url, token: member.token }) };
  bobToken = (await s.member('bob')).token;
  projectId = ((await s.call('POST', '/api/v1/projects', { token: alice.token, json: { name: 'llm' } })).json as { id: number }).id;
  const upload = (n: number, name: string) => alice.client.catalog.datasets.uploadInstructions({ data: Buffer.from(JSON.stringify(alpacaRecords(n))), filename: `${name}.json` }, { name });
  const ds = await upload(40, 'qa');
  await alice.client.catalog.datasets.process({ dataset_id: ds.id, output_name: 'qa_v1' });
  dataset = { id: ds.id, number: ds.number };
  unprocessed = (await upload(5, 'raw')).number;
}, 30_000);
afterAll(async () => {
  await alice?.client.close();
  await s?.close();
});

const submit = async (body: Record<string, unknown>, token = alice.token): Promise<{ status: number; json: any }> =>
  s.call('POST', '/api/v1/training/submit', {
    token, json: { model_id: 'Qwen2.5-0.5B-Instruct', dataset_id: dataset.number, template_id: 'lora', project_id: projectId, experiment_name: 'ft-exp', ...body },
  });
const get = async (p: string, token = alice.token) => (await s.call('GET', p, { token })).json as any;
const llmOf = async (jobId: string) => (await get(`/train/jobs/${jobId}`, s.adminToken)).llm as Record<string, unknown>;

describe('GET /api/v1/training/templates with the fine-tune templates', () => {
  test('lora, qlora and full-finetune carry the fine-tune request\'s params and LLaMA-Factory\'s GPU estimate for the default base', async () => {
    const templates = (await get('/api/v1/training/templates')).templates as Array<{ id: string; params: Record<string, unknown>; min_gpu_memory: string; model_type: string }>;
    const lora = templates.find((t) => t.id === 'lora');
    expect(lora).toMatchObject({ model_type: 'llm-base', framework: 'llama-factory', task: 'text-generation', finetuning_type: 'lora', min_gpu_memory: expect.stringMatching(/^1GB for Qwen2\.5-0\.5B-Instruct \(0\.5B\)/) });
    expect(lora?.params.learning_rate).toMatchObject({ type: 'number', default: 3e-5, maximum: 1 });
    expect(templates.find((t) => t.id === 'qlora')?.params.quantization_bit).toMatchObject({ enum: [4, 8], default: 4 });
    expect(Object.keys(templates.find((t) => t.id === 'full-finetune')?.params ?? {})).not.toContain('lora_rank');
  });
});

describe('GET /api/v1/training/datasets with instruction datasets', () => {
  test('a processed instruction dataset is listed with its outputs as versions and the newest\'s split counts; an unprocessed one and another member\'s are not', async () => {
    const mine = (await get('/api/v1/training/datasets')).datasets;
    expect(mine).toEqual([{
      id: dataset.number, dataset_id: dataset.id, name: 'qa', project_id: null, version: 'qa_v1', versions: ['qa_v1'], size: expect.stringMatching(/ KB$/), rows: '40',
      image_count: 0, train_count: 32, val_count: 4, test_count: 4, classes: [], num_classes: 0, created_at: expect.any(String), kind: 'instruction', record_format: 'alpaca', samples_count: 40,
    }]);
    expect((await get('/api/v1/training/datasets', bobToken)).datasets).toEqual([]);
  });
});

describe('POST /api/v1/training/submit with a fine-tune template', () => {
  let jobId: string;
  let number: number;

  test('queues a LoRA fine-tune of the newest processed output with the template\'s hyperparameters, in the origin\'s shape', async () => {
    const res = await submit({ hyperparameters: { learning_rate: 2e-4, epochs: 2, batch_size: 2, lora_rank: 4, logging_steps: 2 } });
    expect(res.status).toBe(200);
    const { job } = res.json as { job: Record<string, any> };
    expect(res.json).toMatchObject({ message: '训练任务已提交' });
    expect(job).toMatchObject({
      experiment_name: 'ft-exp', model_id: 'Qwen2.5-0.5B-Instruct', model: { id: 'Qwen2.5-0.5B-Instruct', provider: 'Qwen', type: 'base' }, dataset_id: dataset.number, dataset: dataset.id,
      version: 'qa_v1', project_id: projectId, template: { id: 'lora' }, status: expect.stringMatching(/^(queued|running)$/), progress: 0,
      config: { hyperparameters: { learning_rate: 2e-4, epochs: 2, batch_size: 2, lora_rank: 4, lora_alpha: 16, logging_steps: 2 } },
    });
    [jobId, number] = [job.job_id, job.number];
    expect(await llmOf(jobId)).toMatchObject({
      finetuning_type: 'lora', learning_rate: 2e-4, num_train_epochs: 2, per_device_train_batch_size: 2, lora_rank: 4, logging_steps: 2, dataset: ['qa_v1_train'], eval_dataset: ['qa_v1_validation'],
    });
  });

  test('422 for another template\'s hyperparameter, a bad value or a detector; 409 for an instruction dataset never processed; 404 for another member', async () => {
    const extra = await submit({ hyperparameters: { imgsz: 640 } });
    expect(extra).toMatchObject({ status: 422, json: { detail: [{ loc: ['body', 'hyperparameters'], msg: expect.stringMatching(/^unsupported hyperparameter imgsz: template lora takes only learning_rate, epochs/) }] } });
    expect((await submit({ template_id: 'full-finetune', hyperparameters: { lora_rank: 8 } })).status).toBe(422);
    expect((await submit({ hyperparameters: { epochs: 0 } })).json.detail[0].loc).toEqual(['body', 'hyperparameters', 'epochs']);
    expect(await submit({ model_id: 'yolov8n.pt' })).toMatchObject({ status: 422, json: { detail: [{ loc: ['body', 'template_id'], msg: expect.stringMatching(/yolo-detect/) }] } });
    expect(await submit({ template_id: 'yolo-detect' })).toMatchObject({ status: 422, json: { detail: [{ loc: ['body', 'dataset_id'], msg: expect.stringMatching(/is an instruction dataset: .*use template lora/) }] } });
    expect(await submit({ template_id: 'yolo-detect', dataset_id: 999 })).toMatchObject({ status: 404 });
    expect(await submit({ model_id: 'llama2-7b' })).toMatchObject({ status: 404, json: { detail: 'Model llama2-7b not found' } });
    expect(await submit({ dataset_id: unprocessed })).toMatchObject({ status: 409, json: { detail: `Dataset ${unprocessed} has no processed output: process it first (POST /api/v1/datasets/process)` } });
    expect(await submit({ output_name: 'v9' })).toMatchObject({ status: 409, json: { detail: expect.stringMatching(/has no processed output v9 \(it has qa_v1\)/) } });
    expect(await submit({ project_id: projectId }, bobToken)).toMatchObject({ status: 404 });
  });

  test('the job in /training/jobs: trainer steps, progress 100, the last step\'s loss; listed as a task; its loss curve has one point per logged step', async () => {
    const done = await waitFor(() => get(`/api/v1/training/jobs/${number}`), (j) => !['queued', 'running'].includes(j.status), 30_000);
    const { run_dir: runDir } = await get(`/train/jobs/${jobId}`, s.adminToken);
    const logged = trainerLog(runDir).filter((l) => l.loss !== undefined);
    expect(done).toMatchObject({
      kind: 'llm-finetune', status: 'completed', progress: 100, template: 'lora', model: 'Qwen2.5-0.5B-Instruct', model_id: 'Qwen2.5-0.5B-Instruct', version: 'qa_v1',
      current_step: 32, total_steps: 32, current_epoch: 2, total_epochs: 2, loss: logged.at(-1)?.loss, best_loss: Math.min(...logged.map((l) => l.loss ?? Infinity)),
      val_loss: expect.any(Number), eta: '0s', base_model: 'Qwen2.5-0.5B-Instruct',
    });
    expect((await get('/api/v1/training/jobs')).jobs.map((j: { job_id: string }) => j.job_id)).toContain(jobId);
    const task = (await get('/api/v1/tasks?type=training')).tasks.find((t: { resource_id: string }) => t.resource_id === jobId);
    expect(task).toMatchObject({ name: 'ft-exp', status: 'completed', progress: 100 });
    const curve = await get('/api/v1/metrics/loss?experiment_id=ft-exp');
    expect(curve).toMatchObject({ experiment_name: 'ft-exp', jobs: [jobId], total_steps: logged.length, metrics: { initial_loss: logged[0]?.loss, final_loss: logged.at(-1)?.loss } });
    expect(curve.data.map((p: { trainer_step: number; loss: number }) => [p.trainer_step, p.loss])).toEqual(logged.map((l) => [l.current_steps, l.loss]));
    const thin = await get(`/api/v1/metrics/loss/${jobId}?steps=3`);
    expect(thin.data.map((p: { trainer_step: number }) => p.trainer_step)).toEqual([2, expect.any(Number), 32]);
    expect((await get('/api/v1/metrics/metrics/summary')).experiments).toEqual([expect.objectContaining({ id: 'ft-exp', current_step: logged.length, total_steps: 32, status: 'completed' })]);
    expect(await get(`/api/v1/training/jobs/${number}`, bobToken)).toMatchObject({ detail: `Job ${number} not found` });
  }, 40_000);

  test('qlora (8-bit) and full-finetune map onto the job; a running fine-tune shows its trainer\'s progress as a task', async () => {
    const qlora = (await submit({ template_id: 'qlora', experiment_name: 'q', hyperparameters: { quantization_bit: 8, batch_size: 1, epochs: 20 } })).json.job;
    expect(await llmOf(qlora.job_id)).toMatchObject({ finetuning_type: 'qlora', quantization_bit: 8, lora_rank: 8 });
    const full = (await submit({ template_id: 'full-finetune', experiment_name: 'f', hyperparameters: { learning_rate: 1e-5 } })).json.job;
    expect(await llmOf(full.job_id)).toMatchObject({ finetuning_type: 'full', quantization_bit: null, learning_rate: 1e-5 });
    const running = await waitFor(() => get(`/api/v1/tasks/${qlora.job_id}`), (t) => t.status === 'running' && t.progress > 0, 30_000);
    const job = await get(`/api/v1/training/jobs/${qlora.job_id}`);
    expect(running.progress).toBeLessThan(100);
    expect(job).toMatchObject({ template: 'qlora', total_steps: 640, eta: expect.any(String) });
    for (const id of [qlora.job_id, full.job_id]) await s.call('POST', `/api/v1/train/cancel/${id}`, { token: alice.token });
  }, 40_000);
});
