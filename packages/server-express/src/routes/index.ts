import type { Route } from '../http/route.js';
import { annotationRoutes } from './annotations.routes.js';
import { datasetRoutes } from './datasets.routes.js';
import { systemRoutes } from './system.routes.js';

/** Every API route, in documentation order. */
export const allRoutes: readonly Route[] = [...systemRoutes, ...datasetRoutes, ...annotationRoutes];

export const API_INFO = {
  title: 'yoloops API',
  version: '0.1.0',
  description: 'YOLO training platform: datasets, annotations (S001-compatible REST API).',
};
