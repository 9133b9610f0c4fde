export { createApp, allRoutes, API_INFO, buildOpenApi, type CreateAppOptions } from './app.js';
export { startServer, type StartServerOptions, type RunningServer } from './start-server.js';
export type { AppServices } from './services.js';
export type { Route } from './http/route.js';
export { reachableUrl, defaultAgentCommand } from './start-server.js';
