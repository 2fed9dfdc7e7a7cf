import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../http/types.js';
import { createTestApp, createTestConfig, type TestContext } from '../../test/harness.js';
import { buildWidgetForTests } from '../../test/widget-build.js';
import { registerSiteRoutes } from './site.routes.js';

describe('site: widget script, demo page, status page', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    buildWidgetForTests();
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('serves /widget.js cross-origin as JavaScript, revalidated by ETag and compressed', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/widget.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(response.headers['cache-control']).toContain('max-age=300');
    expect(response.body).toContain('FusionChatalyst');
    expect(response.body).not.toMatch(/\beval\(|new Function\(|innerHTML|insertAdjacentHTML|document\.write/);

    const etag = String(response.headers.etag);
    const revalidated = await ctx.app.inject({ method: 'GET', url: '/widget.js', headers: { 'if-none-match': etag } });
    expect(revalidated.statusCode).toBe(304);
    expect(revalidated.body).toBe('');

    const gzipped = await ctx.app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(response.body);
    // The budget the issue sets: a chat widget a small business can afford to put on every page.
    expect(gzipped.rawPayload.length).toBeLessThan(12 * 1024);
  });

  it('serves the widget\'s other languages as small cross-origin JSON files, and 404 for one it does not speak', async () => {
    for (const language of ['es', 'fr', 'de', 'pt']) {
      const response = await ctx.app.inject({ method: 'GET', url: `/widget/i18n/${language}.json`, headers: { 'accept-encoding': 'gzip' } });
      expect(response.statusCode, language).toBe(200);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.headers['access-control-allow-origin']).toBe('*');
      expect(response.headers['cross-origin-resource-policy']).toBe('cross-origin');
      expect(response.headers['cache-control']).toContain('max-age=300');
      const words = JSON.parse(gunzipSync(response.rawPayload).toString()) as Record<string, string>;
      expect(Object.keys(words)).toContain('sendRating');
      // Loaded only by visitors who get the language: a small addition to the script, not a second widget.
      expect(response.rawPayload.length).toBeLessThan(2 * 1024);
    }
    expect(JSON.parse((await ctx.app.inject({ method: 'GET', url: '/widget/i18n/es.json' })).body)).toMatchObject({ closeChat: 'Cerrar chat' });
    const unknown = await ctx.app.inject({ method: 'GET', url: '/widget/i18n/it.json' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    expect((await ctx.app.inject({ method: 'GET', url: '/widget/i18n/..%2F..%2Fpackage.json' })).statusCode).toBeGreaterThanOrEqual(400);
  });

  it('serves /widget.<hash>.js as immutable, and sends an old hash to the current script', async () => {
    const etag = String((await ctx.app.inject({ method: 'GET', url: '/widget.js' })).headers.etag);
    const hash = /"([a-f0-9]+)"/.exec(etag)?.[1];
    const versioned = await ctx.app.inject({ method: 'GET', url: `/widget.${hash}.js` });
    expect(versioned.statusCode).toBe(200);
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const stale = await ctx.app.inject({ method: 'GET', url: '/widget.0123456789ab.js' });
    expect(stale.statusCode).toBe(302);
    expect(stale.headers.location).toBe('/widget.js');
  });

  it('serves the demo page embedding the demo chatbot with one script tag and no inline script', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/demo' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain('<script src="/widget.js" data-chatbot-id="bot_demoAcmePlumbing" async></script>');
    expect(response.body.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('serves the status page and a history that already holds the startup sample', async () => {
    const page = await ctx.app.inject({ method: 'GET', url: '/status' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<script src="/site/status.js"></script>');
    const script = await ctx.app.inject({ method: 'GET', url: '/site/status.js' });
    expect(script.headers['content-type']).toContain('text/javascript');
    // The startup sample is taken right after `ready`, without holding it up: wait for it to land.
    const readHistory = async () => (await ctx.app.inject({ method: 'GET', url: '/status/history' })).json();
    await expect.poll(async () => (await readHistory()).samples.length).toBeGreaterThan(0);
    const body = await readHistory();
    expect(body.intervalSeconds).toBe(60);
    expect(body.samples[0]).toMatchObject({ status: 'ok', at: expect.stringMatching(/Z$/), latencyMs: expect.any(Number) });
    expect(body.uptime.lastHour).toBe(1);
  });

  it('answers 503 with a problem, not a crash, when the widget has not been built', async () => {
    const app = Fastify() as unknown as App;
    registerSiteRoutes(app, { config: createTestConfig(), database: ctx.database }, { widgetFile: '/nonexistent/widget.js' });
    const response = await app.inject({ method: 'GET', url: '/widget.js' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 503, code: 'widget_not_built', detail: expect.stringContaining('npm run build') });
    await app.close();
  });
});
