export { createApp, allRoutes, API_INFO, buildOpenApi, type CreateAppOptions } from './app.js';
export { startServer, type StartServerOptions, type RunningServer } from './start-server.js';
export type { AppServices } from './services.js';
export type { Route } from './http/route.js';
export { reachableUrl, defaultAgentCommand } from './start-server.js';
export { resolveAuthMode, isLoopbackHost, type AuthMode } from './auth/auth-mode.js';
export { createAuthPolicy, type AuthPolicyOptions, type AuthAccounts } from './auth/auth-middleware.js';
export { SESSION_COOKIE } from './auth/credentials.js';
export type { AuthSettings } from './auth/auth-settings.js';
