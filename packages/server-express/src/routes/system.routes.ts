import { z } from 'zod';
import { defineRoute, type Route } from '../http/route.js';

export const systemRoutes: Route[] = [
  defineRoute({
    method: 'get', path: '/', operationId: 'getRoot', summary: 'Service name and version', tags: ['system'],
    responses: { 200: { description: 'Service info', schema: z.object({ message: z.string(), version: z.string() }).meta({ id: 'RootInfo' }) } },
    handler: async () => ({ message: 'YOLO Training Platform API', version: '1.0.0' }),
  }),
  defineRoute({
    method: 'get', path: '/health', operationId: 'getHealth', summary: 'Liveness check', tags: ['system'],
    responses: { 200: { description: 'Healthy', schema: z.object({ status: z.literal('ok') }).meta({ id: 'Health' }) } },
    handler: async () => ({ status: 'ok' as const }),
  }),
];
