import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Router } from 'express';
import { HttpError } from '../http/errors.js';

/** The Content-Security-Policy of the docs: only our own origin; Swagger UI's CSS icons are `data:` images. */
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Swagger UI's React components and highlighter set `style` attributes
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

const JS = 'text/javascript; charset=utf-8';
const MAP = 'application/json; charset=utf-8';
/** The swagger-ui-dist files the page uses (and their source maps), by name; nothing else in the package is served. */
const VENDOR_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui.css.map': MAP,
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': JS,
  'swagger-ui-bundle.js.map': MAP,
  'swagger-ui-standalone-preset.js': JS,
  'swagger-ui-standalone-preset.js.map': MAP,
  'favicon-16x16.png': 'image/png',
  'favicon-32x32.png': 'image/png',
};
const INITIALIZER = 'yoloops-docs.js';
const VENDOR_MAX_AGE_MS = 86_400_000;

/** Swagger UI options the initializer passes to `SwaggerUIBundle`, besides the spec URL. */
const SWAGGER_UI_OPTIONS = {
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  // no badge fetched from validator.swagger.io: the docs work offline and under the CSP
  validatorUrl: null,
  layout: 'StandaloneLayout',
};

// The spec URL is resolved from this script's own URL (<base>/docs/assets/…), so the page works behind a
// reverse-proxy prefix and whether it was opened as /docs or /docs/.
const initializerSource = `// yoloops: starts Swagger UI on openapi.json (a file of its own, so the page's CSP can forbid inline scripts)
(function () {
  var options = ${JSON.stringify(SWAGGER_UI_OPTIONS)};
  options.url = new URL('../../openapi.json', document.currentScript.src).href;
  options.presets = [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset];
  options.plugins = [SwaggerUIBundle.plugins.DownloadUrl];
  window.ui = SwaggerUIBundle(options);
})();
`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function pageHtml(title: string): string {
  const t = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
<link rel="stylesheet" href="docs/assets/index.css">
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="docs/assets/favicon-16x16.png" sizes="16x16">
</head>
<body>
<noscript><p>${t}: this page needs JavaScript. The OpenAPI document is at <a href="openapi.json">openapi.json</a>.</p></noscript>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="docs/assets/${INITIALIZER}"></script>
</body>
</html>
`;
}

let vendorDir: string | undefined;

/** The installed swagger-ui-dist folder (resolved at run time from node_modules, from src and dist alike). */
function swaggerUiDistDir(): string {
  if (vendorDir) return vendorDir;
  // absolute-path.js, not the package main: the main also loads the 1.7 MB browser bundle into Node
  const getAbsoluteFSPath = createRequire(import.meta.url)('swagger-ui-dist/absolute-path.js') as () => string;
  const dir = getAbsoluteFSPath();
  const missing = Object.keys(VENDOR_ASSETS).filter((name) => !existsSync(path.join(dir, name)));
  if (missing.length > 0) throw new Error(`swagger-ui-dist at ${dir} lacks ${missing.join(', ')} (reinstall it: npm ci)`);
  vendorDir = dir;
  return dir;
}

/**
 * `/docs`: Swagger UI over `/openapi.json`, from the installed swagger-ui-dist (no CDN), under a strict CSP.
 * Its assets are `/docs/assets/<name>` from a fixed list; any other name is a 404, so nothing else is reachable.
 * @example
 * app.use('/docs', createDocsRouter({ title: 'yoloops API' }));
 */
export function createDocsRouter(options: { title: string }): Router {
  const dir = swaggerUiDistDir();
  const html = pageHtml(`${options.title} — docs`);
  const router = express.Router({ strict: true });
  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });
  // The page's links are relative to /docs; /docs/ would resolve them under /docs/docs/.
  router.get('/', (req, res) => {
    if (req.originalUrl.split('?')[0]?.endsWith('/')) return res.redirect(301, '../docs');
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(html);
  });
  router.get(`/assets/${INITIALIZER}`, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type(JS).send(initializerSource);
  });
  router.get('/assets/:name', (req, res, next) => {
    const name = req.params.name;
    const type = Object.hasOwn(VENDOR_ASSETS, name) ? VENDOR_ASSETS[name] : undefined;
    if (!type) return next(new HttpError(404, `no docs asset named "${name}"`, 'not_found'));
    res.setHeader('Content-Type', type);
    res.sendFile(name, { root: dir, maxAge: VENDOR_MAX_AGE_MS, dotfiles: 'deny' }, (error) => error && next(error));
  });
  return router;
}
