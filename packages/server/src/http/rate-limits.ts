import type { CreateRateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

interface CountedLimit {
  max: number;
  remaining: number;
  ttlInSeconds: number;
}

/**
 * A preHandler that applies several limits to one route, each counted on its own (per visitor and per address,
 * per account and per address). `app.rateLimit()` handlers mark a request as limited once the first has run, so
 * a second one on the same route never counted (a per-IP limit behind a per-visitor one did nothing);
 * `app.createRateLimit()` only counts, and this handler answers for all of them. Limits are checked in order and
 * the first exceeded answers 429 (later ones are not charged for a refused request); otherwise the tightest
 * limit's RateLimit-* headers go out, as the plugin's own handler would send them.
 */
export function createRateLimits(app: FastifyInstance, limits: CreateRateLimitOptions[]): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const limiters = limits.map((options) => app.createRateLimit(options));
  return async (request, reply) => {
    let tightest: CountedLimit | null = null;
    for (const limiter of limiters) {
      const result = await limiter(request);
      if (result.isAllowed) continue;
      if (result.isExceeded) {
        void reply.header('ratelimit-limit', result.max).header('ratelimit-remaining', 0).header('ratelimit-reset', result.ttlInSeconds).header('retry-after', result.ttlInSeconds);
        throw Object.assign(new Error(`Too many requests. Try again in ${result.ttlInSeconds} seconds.`), { statusCode: 429 });
      }
      if (!tightest || result.remaining < tightest.remaining) tightest = result;
    }
    if (tightest) void reply.header('ratelimit-limit', tightest.max).header('ratelimit-remaining', tightest.remaining).header('ratelimit-reset', tightest.ttlInSeconds);
  };
}
