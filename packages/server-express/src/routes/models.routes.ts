import type { Route } from '../http/route.js';

export const modelsRoutes: Route[] = [];
