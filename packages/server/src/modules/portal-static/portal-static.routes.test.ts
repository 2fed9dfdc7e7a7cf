import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../http/types.js';
import { createTestApp, type TestContext } from '../../test/harness.js';
import { registerPortalStatic } from './portal-static.routes.js';

const INDEX_HTML = '<!doctype html><title>FusionChatalyst</title><div id="root"></div>';

async function buildStaticApp(distDir: string): Promise<App> {
  const app = Fastify() as unknown as App;
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ code: 'not_found' }));
  await registerPortalStatic(app, { distDir });
  await app.ready();
  return app;
}

describe('portal static files', () => {
  let distDir: string;
  let app: App;

  beforeAll(async () => {
    distDir = mkdtempSync(path.join(tmpdir(), 'fc-portal-dist-'));
    mkdirSync(path.join(distDir, 'assets'));
    writeFileSync(path.join(distDir, 'index.html'), INDEX_HTML);
    writeFileSync(path.join(distDir, 'assets', 'portal-abc123.js'), 'console.log("portal")');
    writeFileSync(path.join(distDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await buildStaticApp(distDir);
  });
  afterAll(async () => {
    await app.close();
    rmSync(distDir, { recursive: true, force: true });
  });

  it('serves the app at / and for every client-side route, never cached stale', async () => {
    for (const url of ['/', '/chatbots/bot_abc/knowledge', '/settings/webhooks?x=1']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toContain('text/html');
      expect(response.headers['cache-control'], url).toBe('no-cache');
      expect(response.body).toBe(INDEX_HTML);
    }
  });

  it('serves hashed assets with a year-long immutable cache', async () => {
    const response = await app.inject({ method: 'GET', url: '/assets/portal-abc123.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('javascript');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('public, max-age=0');
  });

  it('answers 404 for missing files and /api paths instead of the app', async () => {
    for (const url of ['/assets/portal-old999.js', '/robots.txt', '/api/portal/nope', '/api']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body, url).not.toContain('<div id="root">');
    }
  });

  it('never serves files outside the build folder', async () => {
    writeFileSync(path.join(path.dirname(distDir), 'fc-secret.txt'), 'secret');
    for (const url of ['/../fc-secret.txt', '/%2e%2e/fc-secret.txt', '/assets/..%2f..%2ffc-secret.txt']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.body, url).not.toContain('secret');
    }
    rmSync(path.join(path.dirname(distDir), 'fc-secret.txt'));
  });

  it('explains how to build the portal when it is missing', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'fc-portal-empty-'));
    const bare = await buildStaticApp(empty);
    const response = await bare.inject({ method: 'GET', url: '/chatbots' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build');
    expect((await bare.inject({ method: 'GET', url: '/api/nope' })).statusCode).toBe(404);
    await bare.close();
    rmSync(empty, { recursive: true, force: true });
  });

  it('keeps the API’s JSON 404 in the full app', async () => {
    const ctx: TestContext = await createTestApp();
    const response = await ctx.app.inject({ method: 'GET', url: '/api/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    await ctx.close();
  });
});
