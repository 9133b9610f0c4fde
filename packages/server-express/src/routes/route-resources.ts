import { HttpError } from '../http/errors.js';
import type { ResourceRef, RouteResources } from '../http/resource-access.js';

const path = (kind: ResourceRef['kind'], name: string): ResourceRef => ({ kind, in: 'path', name });
const refs = (...list: ResourceRef[]): RouteResources => ({ refs: list });
const handler = (note: string): RouteResources => ({ checkedBy: 'handler', note });
const auth = (note: string): RouteResources => ({ checkedBy: 'auth', note });

const dataset = refs(path('dataset', 'dataset_id'));
const annotationTask = refs(path('annotation_task', 'task_id'));
const job = refs(path('job', 'job_id'));
const jobQuery = refs({ kind: 'job', in: 'query', name: 'job_id' });
const model = refs(path('model', 'model_id'));
/** Seed 003's training task is a fine-tune job; an unknown or hidden one reads as the origin's 404. */
const seed003Training = refs({ kind: 'job', in: 'path', name: 'task_id', notFound: () => new HttpError(404, 'Training task not found', 'not_found') });
/** Seed 000 says a missing model in its own words. */
const seed000Model = refs({ kind: 'model', in: 'path', name: 'model_id', notFound: () => new HttpError(404, '模型不存在', 'model_not_found') });

const SEED002 = 'seed 002 route: resolves numbers and ids and checks the caller (catalog-access, seed002-jobs) itself';
const GENERATION = 'model_id is a body field: the generation service resolves it (number or id) and answers a model the caller may not see as an unregistered one';
const NOTIFY = 'the auth policy checks the reported job: its agent token, its owner or an admin';
const WORKERS = 'worker routes: the auth policy lets only a worker token or an admin in, and they act on any job (workers run every user\'s jobs)';

/**
 * Who checks the resources of every route that names one (`…_id`, `…_ids`, `trainTaskId`), keyed by
 * operationId: the access middleware (`refs`: a number becomes the id, another member's resource is a 404),
 * the handler or the auth policy. The route-table test fails for a route that takes an id and is missing here.
 */
export const ROUTE_RESOURCES: Readonly<Record<string, RouteResources>> = {
  prepareDataset: dataset, getDataset: dataset, updateDataset: dataset, deleteDataset: dataset,
  exportAnnotatedDataset: dataset, exportOriginalDataset: dataset,
  createAnnotationTask: refs({ kind: 'dataset', in: 'body', name: 'dataset_id' }),
  listTaskItems: annotationTask, getTaskItem: annotationTask, saveTaskItem: annotationTask, exportTaskYolo: annotationTask,
  createTrainingJob: refs(
    { kind: 'dataset', in: 'body', name: 'dataset_id', notFound: (ref) => new HttpError(404, `Dataset ${ref} not found`, 'dataset_not_found') },
    { kind: 'model', in: 'body', name: 'base_model_id', notFound: (ref) => new HttpError(404, `Base model ${ref} not found`, 'base_model_not_found') },
  ),
  getTrainingJob: job, getTrainingJobMetrics: job, stopTrainingJob: job, resumeTrainingJob: job, deleteTrainingJob: job, extendTrainingJob: job,
  streamJobLog: jobQuery, tailJobLog: jobQuery, lastJobLogLines: jobQuery,
  streamTrainingJobLog: job, tailTrainingJobLog: job, lastTrainingJobLogLines: job,
  exportModel: model, getModel: model, updateModel: model, deleteModel: model, getModelCharts: model,
  inferImage: model, inferAndSave: model, inferVideo: model, inferVideoStream: model,
  inferBatch: handler('model_ids is a multipart field: the handler resolves each (resolveResource) and answers a hidden model as an unknown one'),
  exportInferenceSession: refs(path('inference_session', 'session_id')),
  getSeed000TrainingMetrics: seed000Model, getSeed000TrainingChart: seed000Model,
  notifyTrainResult: auth(NOTIFY), notifyTrainStatus: auth(NOTIFY),
  notifyTrainResultWithSecret: auth(`${NOTIFY}; here the job's secret in the path`), notifyTrainStatusWithSecret: auth(`${NOTIFY}; here the job's secret in the path`),
  uploadTaskWeights: auth(NOTIFY), reportTaskSteps: auth(NOTIFY), uploadTaskLogs: auth(NOTIFY), uploadTaskCheckpoint: auth(NOTIFY), uploadTaskRunFiles: auth(NOTIFY),
  registerExternalJob: handler('answers a task id registered by someone else as not found'),
  ...Object.fromEntries(['workerHeartbeat', 'claimWorkerJob', 'reportWorkerExit', 'downloadWorkerDataset', 'downloadWorkerWeights'].map((id) => [id, auth(WORKERS)])),
  listProjects: handler(SEED002), getProject: handler(SEED002), updateProject: handler(SEED002), deleteProject: handler(SEED002),
  listTasks: handler(SEED002), getTask: handler(SEED002),
  listCatalogDatasets: handler(SEED002), createCatalogDataset: handler(SEED002), getCatalogDataset: handler(SEED002),
  uploadCatalogDataset: handler(SEED002), deleteCatalogDataset: handler(SEED002),
  processInstructionDataset: handler('seed 003 route: the origin\'s validator first, then the handler resolves dataset_id (id or number) and answers a hidden one as a missing one'),
  getInstructionDatasetReport: handler(SEED002),
  listCatalogModels: handler(SEED002), createCatalogModel: handler(SEED002), getCatalogModel: handler(SEED002),
  uploadCatalogModel: handler(SEED002), deleteCatalogModel: handler(SEED002),
  submitSeed002Training: handler(SEED002), getSeed002TrainingJob: handler(SEED002),
  getSeed002Loss: handler(SEED002), getSeed002ExperimentLoss: handler(SEED002),
  getSeed003TrainingStatus: seed003Training, cancelSeed003Training: seed003Training,
  generateInference: handler(GENERATION), streamInference: handler(GENERATION),
  updateUser: auth('admin only'),
};
