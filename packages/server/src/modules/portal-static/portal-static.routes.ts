import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { App } from '../../http/types.js';

/** packages/portal/dist, from both src/modules/portal-static (tests, tsx) and dist/modules/portal-static (npm start). */
export const PORTAL_DIST_DIR = fileURLToPath(new URL('../../../../portal/dist/', import.meta.url));
/** Vite puts every hashed file under assets/: a new build never reuses a name, so browsers may keep them for a year. */
const ASSET_MAX_AGE = '365d';

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Portal not built</title></head>
<body><h1>The portal has not been built yet</h1>
<p>The API is running, but <code>packages/portal/dist</code> is missing. Run <code>npm run build</code>
(or <code>npm run build -w packages/portal</code>) and reload this page. <code>npm start</code> builds it for you.</p>
</body></html>`;

function isFileIn(root: string, relative: string): boolean {
  const resolved = path.resolve(root, relative);
  if (!resolved.startsWith(root)) return false;
  try {
    return statSync(resolved).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the portal single-page app at `/`: built files from packages/portal/dist, and index.html for any
 * other GET outside /api so client-side routes (/chatbots/bot_…/knowledge) survive a reload. /api paths
 * never fall back to the app: they keep the JSON 404. Routes registered elsewhere (/widget.js, the demo
 * page) are more specific than `/*`, so they win.
 */
export async function registerPortalStatic(app: App, { distDir = PORTAL_DIST_DIR }: { distDir?: string } = {}): Promise<void> {
  const root = path.resolve(distDir);
  await app.register(async (scope: App) => {
    const isBuilt = existsSync(path.join(root, 'index.html'));
    if (isBuilt) await scope.register(fastifyStatic, { root, serve: false });
    else scope.log.warn(`portal not built: ${root} has no index.html; run "npm run build"`);

    scope.get('/*', async (request, reply) => {
      const relative = ((request.params as { '*'?: string })['*'] ?? '').replace(/^\/+/, '');
      if (relative === 'api' || relative.startsWith('api/')) return reply.callNotFound();
      if (!isBuilt) return reply.status(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT_PAGE);
      if (relative !== '' && isFileIn(root, relative)) {
        const isHashed = relative.startsWith('assets/');
        return reply.sendFile(relative, isHashed ? { maxAge: ASSET_MAX_AGE, immutable: true } : { maxAge: 0 });
      }
      // A missing file (an old tab asking for last deploy's chunk) is a 404, not the app's HTML.
      if (relative.startsWith('assets/') || /\.[A-Za-z0-9]{1,8}$/.test(relative)) return reply.callNotFound();
      // The HTML names the current hashed assets, so it is revalidated on every load.
      return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
    });
  });
}
