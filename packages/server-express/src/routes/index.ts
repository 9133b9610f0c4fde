import type { Route } from '../http/route.js';
import { annotationRoutes } from './annotations.routes.js';
import { datasetRoutes } from './datasets.routes.js';
import { systemRoutes } from './system.routes.js';
import { trainingRoutes } from './training.routes.js';
import { logsRoutes } from './logs.routes.js';
import { notifyRoutes } from './notify.routes.js';
import { agentRoutes } from './agent.routes.js';
import { agentStepsRoutes } from './agent-steps.routes.js';
import { agentUploadsRoutes } from './agent-uploads.routes.js';
import { modelsRoutes } from './models.routes.js';
import { seed000Routes } from './seed000.routes.js';
import { inferRoutes } from './infer.routes.js';
import { projectsRoutes } from './projects.routes.js';
import { tasksRoutes } from './tasks.routes.js';
import { catalogDatasetsRoutes } from './catalog-datasets.routes.js';
import { seed003DatasetRoutes } from './seed003-datasets.routes.js';
import { seed003TrainingRoutes } from './seed003-training.routes.js';
import { catalogModelsRoutes } from './catalog-models.routes.js';
import { seed002TrainingRoutes } from './seed002-training.routes.js';
import { seed002MetricsRoutes } from './seed002-metrics.routes.js';
import { authRoutes } from './auth.routes.js';
import { loginRoutes } from './login.routes.js';
import { usersRoutes } from './users.routes.js';
import { externalJobRoutes } from './external-jobs.routes.js';
import { gpuRoutes } from './gpu.routes.js';
import { settingsRoutes } from './settings.routes.js';
import { apiIndexRoutes } from './api-index.routes.js';
import { seed003GenerateRoutes } from './seed003-generate.routes.js';
import { seed002InferenceRoutes } from './seed002-inference.routes.js';
import { inferenceStreamRoutes } from './inference-stream.routes.js';
import { workersRoutes } from './workers.routes.js';

/** Every API route, in documentation order. */
export const allRoutes: readonly Route[] = [
  ...systemRoutes, ...datasetRoutes, ...annotationRoutes, ...trainingRoutes, ...logsRoutes, ...modelsRoutes, ...inferRoutes,
  ...seed000Routes, ...notifyRoutes, ...agentRoutes, ...agentStepsRoutes, ...agentUploadsRoutes,
  ...projectsRoutes, ...tasksRoutes, ...seed003DatasetRoutes, ...seed003TrainingRoutes, ...catalogDatasetsRoutes, ...catalogModelsRoutes,
  ...seed002TrainingRoutes, ...seed002MetricsRoutes, ...seed003GenerateRoutes, ...seed002InferenceRoutes, ...inferenceStreamRoutes,
  ...authRoutes, ...loginRoutes, ...usersRoutes, ...externalJobRoutes, ...workersRoutes,
  ...gpuRoutes, ...settingsRoutes, ...apiIndexRoutes(() => allRoutes),
];

export const API_INFO = {
  title: 'yoloops API',
  version: '0.1.0',
  description: 'YOLO training platform: datasets, annotations, training, models and inference (S001-compatible REST API; seed 000 and 004 routes in their own envelopes).',
};
