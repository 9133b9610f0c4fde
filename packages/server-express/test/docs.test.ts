import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { rawRequest, type RawResponse } from './support/http.js';

/** The installed swagger-ui-dist, found independently of the server's own lookup. */
const SWAGGER_UI_DIST = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const TYPES: Record<string, RegExp> = {
  '.css': /^text\/css; charset=utf-8$/,
  '.js': /^text\/javascript; charset=utf-8$/,
  '.png': /^image\/png$/,
  '.map': /^application\/json; charset=utf-8$/,
};

let t: TestServer;
let page: RawResponse;
beforeAll(async () => {
  t = await startTestServer();
  page = await rawRequest(t.url, 'GET', '/docs');
});
afterAll(async () => t?.close());

/** The URLs of the page's `src` and `href` attributes, resolved the way a browser does against `/docs`. */
function pageRefs(): { raw: string; url: URL }[] {
  return [...page.text.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => ({ raw: m[1]!, url: new URL(m[1]!, `${t.url}/docs`) }));
}

/** A GET whose path is sent exactly as written (undici and fetch would remove `..` segments first). */
function getVerbatim(requestPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    httpRequest({ hostname, port, path: requestPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

/** Runs the docs initializer as the page would, with Swagger UI replaced by a recorder; returns its options. */
function runInitializer(source: string, scriptUrl: string): Record<string, unknown>[] {
  const calls: Record<string, unknown>[] = [];
  const SwaggerUIBundle = Object.assign((options: Record<string, unknown>) => calls.push(options), {
    presets: { apis: 'apis-preset' },
    plugins: { DownloadUrl: 'download-url-plugin' },
  });
  vm.runInNewContext(source, { window: {}, document: { currentScript: { src: scriptUrl } }, URL, SwaggerUIBundle, SwaggerUIStandalonePreset: 'standalone-preset' });
  return calls;
}

describe('GET /docs', () => {
  test('is an HTML page titled for yoloops, with a strict Content-Security-Policy and no caching', () => {
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toMatch(/^<!doctype html>/i);
    expect(page.text).toMatch(/<title>yoloops API — docs<\/title>/);
    expect(page.headers['cache-control']).toBe('no-cache');
    const csp = String(page.headers['content-security-policy']);
    const directives = Object.fromEntries(csp.split(/;\s*/).map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives).toMatchObject({ 'default-src': ["'self'"], 'script-src': ["'self'"], 'connect-src': ["'self'"], 'img-src': ["'self'", 'data:'], 'object-src': ["'none'"] });
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  test('loads only local assets, with no inline script, style element or event handler', () => {
    const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe(3);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="/);
      expect(body?.trim()).toBe('');
    }
    expect(page.text).not.toMatch(/<style\b|\son[a-z]+=/i);
    const refs = pageRefs();
    expect(refs.map((r) => r.raw)).toEqual(expect.arrayContaining(['docs/assets/swagger-ui.css', 'docs/assets/swagger-ui-bundle.js', 'docs/assets/swagger-ui-standalone-preset.js', 'docs/assets/yoloops-docs.js', 'docs/assets/favicon-32x32.png']));
    for (const { raw, url } of refs) {
      // relative references only, so the page works under a reverse-proxy prefix
      expect(raw, raw).not.toMatch(/^([a-z][a-z0-9+.-]*:|\/)/i);
      expect([`${t.url}/openapi.json`, `${t.url}/docs/assets/${path.basename(url.pathname)}`], raw).toContain(url.href);
    }
  });

  test('/docs/ redirects to ../docs, where the relative links resolve', async () => {
    const res = await rawRequest(t.url, 'GET', '/docs/');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('../docs');
  });
});

describe('GET /docs/assets/{name}', () => {
  test('serves each asset the page names with its content type; vendor files are swagger-ui-dist\'s own bytes, cached a day', async () => {
    for (const { raw, url } of pageRefs().filter((r) => r.url.pathname.startsWith('/docs/assets/'))) {
      const res = await rawRequest(t.url, 'GET', url.pathname);
      expect(res.status, raw).toBe(200);
      expect(res.headers['content-type'], raw).toMatch(TYPES[path.extname(raw)]!);
      expect(res.headers['x-content-type-options'], raw).toBe('nosniff');
      if (raw.endsWith('yoloops-docs.js')) {
        expect(res.headers['cache-control']).toBe('no-cache');
        continue;
      }
      expect(res.headers['cache-control'], raw).toBe('public, max-age=86400');
      expect(res.bytes.equals(readFileSync(path.join(SWAGGER_UI_DIST, path.basename(raw)))), raw).toBe(true);
    }
  });

  test('serves the source maps the bundles point at', async () => {
    for (const name of ['swagger-ui-bundle.js.map', 'swagger-ui-standalone-preset.js.map', 'swagger-ui.css.map']) {
      const res = await rawRequest(t.url, 'GET', `/docs/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers['content-type'], name).toMatch(TYPES['.map']!);
    }
  });

  test('answers a request with the current ETag with 304', async () => {
    const first = await rawRequest(t.url, 'GET', '/docs/assets/swagger-ui-bundle.js');
    expect(first.headers.etag).toEqual(expect.any(String));
    const again = await rawRequest(t.url, 'GET', '/docs/assets/swagger-ui-bundle.js', { headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
  });

  test.each([
    '/docs/assets/../../package.json',
    '/docs/assets/../../../../package.json',
    '/docs/assets/..%2f..%2fpackage.json',
    '/docs/assets/%2e%2e/%2e%2e/package.json',
    '/docs/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
    '/docs/assets/package.json',
    '/docs/assets/index.html',
    '/docs/assets/swagger-initializer.js',
    '/docs/assets/swagger-ui-bundle.js%00.png',
    '/docs/assets/',
    '/docs/assets',
    '/docs/nope',
  ])('refuses %s: a 404 naming nothing of the file system, no directory listing', async (requestPath) => {
    const res = await getVerbatim(requestPath);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ detail: expect.any(String), code: 'not_found' });
    expect(res.body).not.toMatch(/swagger-ui-dist|node_modules|"name"|<a href/);
  });
});

describe('the docs initializer', () => {
  test('starts Swagger UI on the openapi.json beside /docs, behind a proxy prefix too, with try-it-out, deep links and kept authorization', async () => {
    const source = (await rawRequest(t.url, 'GET', '/docs/assets/yoloops-docs.js')).text;
    const [options, ...more] = runInitializer(source, 'https://proxy.test/tools/yoloops/docs/assets/yoloops-docs.js');
    expect(more).toEqual([]);
    expect({ ...options }).toEqual({
      url: 'https://proxy.test/tools/yoloops/openapi.json',
      dom_id: '#swagger-ui',
      deepLinking: true,
      tryItOutEnabled: true,
      persistAuthorization: true,
      displayRequestDuration: true,
      validatorUrl: null,
      layout: 'StandaloneLayout',
      presets: ['apis-preset', 'standalone-preset'],
      plugins: ['download-url-plugin'],
    });
  });

  test('points the page served here at this server\'s /openapi.json', async () => {
    const source = (await rawRequest(t.url, 'GET', '/docs/assets/yoloops-docs.js')).text;
    const [options] = runInitializer(source, `${t.url}/docs/assets/yoloops-docs.js`);
    const spec = await rawRequest(t.url, 'GET', new URL(String(options?.url)).pathname);
    expect(spec.status).toBe(200);
    expect(spec.json).toMatchObject({ openapi: expect.stringMatching(/^3\.1/), info: { title: 'yoloops API' }, paths: { '/health': expect.any(Object) } });
  });
});
