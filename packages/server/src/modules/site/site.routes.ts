import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SECURITY } from '../../http/openapi.js';
import type { App, RouteDeps } from '../../http/types.js';
import { buildProblem, sendProblem } from '../../http/problem.js';
import { nowIso, toWireTime } from '../../lib/time.js';
import { createHealthHistory, type HealthSample } from './health-history.js';
import { createWidgetAssetLoader, type WidgetAsset } from './widget-asset.js';

/** `/widget.js` is the URL in every customer's embed tag: cached briefly (then revalidated by ETag) so fixes ship fast. */
const WIDGET_CACHE_CONTROL = 'public, max-age=300, stale-while-revalidate=86400';
/** `/widget.<hash>.js` never changes content, so it may be cached for a year. */
const VERSIONED_CACHE_CONTROL = 'public, max-age=31536000, immutable';
const PAGE_CACHE_CONTROL = 'no-cache';
const HEALTH_SAMPLE_INTERVAL_MS = 60_000;
/** One day of one-minute samples. */
const HEALTH_HISTORY_CAPACITY = 1_440;
const HOUR_MS = 3_600_000;

// Resolved from both src/ and dist/: the server build copies no files, so read them beside the sources.
const PUBLIC_DIR = new URL('../../../src/modules/site/public/', import.meta.url);
const DEFAULT_WIDGET_FILE = fileURLToPath(new URL('../../../../widget/dist/widget.js', import.meta.url));
/** The widget's languages besides English (bundled): built beside the script by packages/widget/build.mjs. */
const WIDGET_LANGUAGES = ['es', 'fr', 'de', 'pt'] as const;
const SCRIPT_TYPE = 'text/javascript; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

const ASSETS: Record<string, { file: string; type: string }> = {
  '/demo': { file: 'demo.html', type: 'text/html; charset=utf-8' },
  '/status': { file: 'status.html', type: 'text/html; charset=utf-8' },
  '/site/site.css': { file: 'site.css', type: 'text/css; charset=utf-8' },
  '/site/status.js': { file: 'status.js', type: 'text/javascript; charset=utf-8' },
};

export interface SiteOptions {
  /** The built widget script (default: packages/widget/dist/widget.js). */
  widgetFile?: string;
  healthSampleIntervalMs?: number;
}

function matchesEtag(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => {
    const value = tag.trim();
    return value === '*' || value.replace(/^W\//, '') === bare;
  });
}

function sendWidget(request: FastifyRequest, reply: FastifyReply, asset: WidgetAsset, cacheControl: string, type = SCRIPT_TYPE): FastifyReply {
  // Loaded by <script> tags (and the widget's fetch) on customers' sites: helmet's same-site CORP would make browsers refuse it.
  void reply
    .header('content-type', type)
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('access-control-allow-origin', '*')
    .header('cache-control', cacheControl)
    .header('etag', asset.etag)
    .header('vary', 'Accept-Encoding');
  if (matchesEtag(request, asset.etag)) return reply.status(304).send();
  const accepted = request.headers['accept-encoding'] ?? '';
  if (/\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(asset.brotli);
  if (/\bgzip\b/.test(accepted)) return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.body);
}

function sendWidgetMissing(reply: FastifyReply): FastifyReply {
  void reply.header('cache-control', 'no-store').header('retry-after', '30');
  return sendProblem(reply, buildProblem(503, 'widget_not_built', 'The widget script has not been built. Run `npm run build` (it builds packages/widget before the server), then reload.'));
}

/**
 * The widget script, the demo host page and the public status page. The pages load only same-origin files,
 * so they work under the app's CSP (`script-src 'self'`, no inline script).
 */
export function registerSiteRoutes(app: App, _deps: RouteDeps, options: SiteOptions = {}): void {
  const loadWidget = createWidgetAssetLoader(options.widgetFile ?? DEFAULT_WIDGET_FILE);
  const pages = Object.entries(ASSETS).map(([url, asset]) => ({ url, type: asset.type, body: readFileSync(new URL(asset.file, PUBLIC_DIR)) }));

  app.get('/widget.js', async (request, reply) => {
    const asset = loadWidget();
    return asset ? sendWidget(request, reply, asset, WIDGET_CACHE_CONTROL) : sendWidgetMissing(reply);
  });

  app.get('/widget.:hash.js', { schema: { params: Type.Object({ hash: Type.String({ pattern: '^[a-f0-9]{6,64}$' }) }) } }, async (request, reply) => {
    const asset = loadWidget();
    if (!asset) return sendWidgetMissing(reply);
    if (asset.hash === request.params.hash) return sendWidget(request, reply, asset, VERSIONED_CACHE_CONTROL);
    // An older build's URL keeps working (a pinned embed must not break after an upgrade): send the current one.
    return reply.header('cache-control', PAGE_CACHE_CONTROL).redirect('/widget.js', 302);
  });

  // The widget's words in one language (issue 15, item 12), fetched by the widget only for visitors who get that
  // language; cached and revalidated like /widget.js, so a release's wording reaches visitors within minutes.
  const languageFiles = new Map(WIDGET_LANGUAGES.map((language) => [
    language, createWidgetAssetLoader(path.join(path.dirname(options.widgetFile ?? DEFAULT_WIDGET_FILE), 'i18n', `${language}.json`)),
  ]));
  app.get('/widget/i18n/:language.json', {
    schema: { params: Type.Object({ language: Type.String({ pattern: '^[a-z]{2}$' }) }) },
  }, async (request, reply) => {
    const load = languageFiles.get(request.params.language as (typeof WIDGET_LANGUAGES)[number]);
    if (!load) return sendProblem(reply, buildProblem(404, 'not_found', `The widget does not speak "${request.params.language}"; it speaks en, ${WIDGET_LANGUAGES.join(', ')}.`));
    const asset = load();
    return asset ? sendWidget(request, reply, asset, WIDGET_CACHE_CONTROL, JSON_TYPE) : sendWidgetMissing(reply);
  });

  for (const page of pages) {
    app.get(page.url, async (_request, reply) => reply.header('content-type', page.type).header('cache-control', PAGE_CACHE_CONTROL).send(page.body));
  }

  // Status history: the API's own /api/health, probed through the full HTTP stack once a minute.
  const history = createHealthHistory(HEALTH_HISTORY_CAPACITY);
  const intervalMs = options.healthSampleIntervalMs ?? HEALTH_SAMPLE_INTERVAL_MS;
  const sampleHealth = async (): Promise<void> => {
    const startedAt = performance.now();
    let status: HealthSample['status'] = 'down';
    try {
      const response = await app.inject({ method: 'GET', url: '/api/health' });
      status = response.statusCode === 200 ? 'ok' : 'degraded';
    } catch {
      // The probe itself failed: recorded as down.
    }
    history.record({ at: toWireTime(nowIso()), status, latencyMs: Math.round(performance.now() - startedAt) });
  };
  let timer: NodeJS.Timeout | null = null;
  app.addHook('onReady', async () => {
    // Not awaited: inject() waits for the app to be ready, which waits for this hook.
    void sampleHealth();
    timer = setInterval(() => void sampleHealth(), intervalMs);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
  });

  app.get('/status/history', {
    schema: {
      summary: 'Recent uptime samples',
      description: 'The status page’s history: one sample a minute of this server probing its own `/api/health`, kept for a day.',
      tags: ['Status'],
      security: SECURITY.none,
      response: {
        200: Type.Object({
          intervalSeconds: Type.Number(),
          uptime: Type.Object({ lastHour: Type.Union([Type.Number(), Type.Null()]), last24Hours: Type.Union([Type.Number(), Type.Null()]) }),
          samples: Type.Array(Type.Object({ at: Type.String(), status: Type.String(), latencyMs: Type.Number() })),
        }),
      },
    },
  }, async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    const now = Date.now();
    return {
      intervalSeconds: Math.round(intervalMs / 1000),
      uptime: { lastHour: history.uptimeSince(now - HOUR_MS), last24Hours: history.uptimeSince(now - 24 * HOUR_MS) },
      samples: history.list(),
    };
  });
}
