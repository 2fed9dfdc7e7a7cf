import { HealthReply } from '@fc/contracts';
import { sql } from 'kysely';
import { withExamples } from '../../http/openapi.js';
import type { App, RouteDeps } from '../../http/types.js';

const HEALTH_CACHE_MS = 1_000;
const HEALTH_QUERY_TIMEOUT_MS = 2_000;

/** Counts deliveries still waiting; null until the delivery tables exist. */
export type BacklogCounter = () => Promise<number | null>;

/**
 * GET /api/health (contract section 3). Polled every few seconds by status pages and load balancers, so
 * the result is cached for a second: a burst of probes costs one `select 1` and one count.
 */
export function registerHealthRoutes(app: App, { config, database }: RouteDeps, countBacklog: BacklogCounter): void {
  const startedAt = Date.now();
  let cached: { at: number; database: 'ok' | 'error'; backlog: number | null } | null = null;

  async function probe(): Promise<{ database: 'ok' | 'error'; backlog: number | null }> {
    try {
      const check = Promise.all([sql`select 1`.execute(database.db), countBacklog()]);
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('health check timed out')), HEALTH_QUERY_TIMEOUT_MS).unref());
      const [, backlog] = await Promise.race([check, timeout]);
      return { database: 'ok', backlog };
    } catch {
      return { database: 'error', backlog: null };
    }
  }

  app.get('/api/health', {
    schema: {
      summary: 'Uptime probe',
      description: 'Cheap enough to poll every few seconds (the answer is cached for a second). 503 with `status: degraded` while the database cannot be reached.',
      tags: ['Status'],
      response: {
        200: withExamples(HealthReply, [{ status: 'ok', version: '0.1.0', uptimeSeconds: 86_400, checks: { database: 'ok', deliveryBacklog: 0 } }]),
        503: HealthReply,
      },
    },
  }, async (_request, reply) => {
    if (!cached || Date.now() - cached.at > HEALTH_CACHE_MS) cached = { at: Date.now(), ...(await probe()) };
    const healthy = cached.database === 'ok';
    void reply.header('cache-control', 'no-store');
    return reply.status(healthy ? 200 : 503).send({
      status: healthy ? 'ok' : 'degraded',
      version: config.version,
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
      checks: { database: cached.database, deliveryBacklog: cached.backlog },
    });
  });
}
