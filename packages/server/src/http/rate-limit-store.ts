import { createRequire } from 'node:module';
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

// @fastify/rate-limit ships its two stores as CommonJS files without typings of their own.
const require = createRequire(import.meta.url);
type StoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, ...rest: unknown[]) => FastifyRateLimitStore;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as StoreCtor;
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as StoreCtor;

const LOCAL_CACHE_ENTRIES = 10_000;

interface Health {
  degraded: boolean;
}

type ChildOptions = Parameters<FastifyRateLimitStore['child']>[0];

/**
 * Rate-limit counters in Redis, shared by every API process — and when Redis is unreachable, counters in
 * this process's memory instead of none at all: each process then enforces the limits on its own share of
 * the traffic (so a visitor spread over N processes gets up to N times the limit) until Redis answers again.
 * Chat never fails because Redis did; the switch both ways is logged once.
 */
class ResilientStore implements FastifyRateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly primary: FastifyRateLimitStore,
    private readonly fallback: FastifyRateLimitStore,
    private readonly health: Health,
    private readonly log: FastifyBaseLogger,
  ) {}

  incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number, max: number): void {
    // ioredis reports its connection state; asking a disconnected client would only fail after a timeout.
    if (this.redis.status !== 'ready') {
      this.markDegraded(new Error(`redis is ${this.redis.status}`));
      this.fallback.incr(key, callback, timeWindow, max);
      return;
    }
    this.primary.incr(key, (error, result) => {
      if (error) {
        this.markDegraded(error);
        this.fallback.incr(key, callback, timeWindow, max);
        return;
      }
      if (this.health.degraded) {
        this.health.degraded = false;
        this.log.info('rate limiting is back on shared Redis counters');
      }
      callback(null, result);
    }, timeWindow, max);
  }

  child(routeOptions: ChildOptions): FastifyRateLimitStore {
    return new ResilientStore(this.redis, this.primary.child(routeOptions), this.fallback.child({ ...routeOptions, cache: LOCAL_CACHE_ENTRIES } as ChildOptions), this.health, this.log);
  }

  private markDegraded(error: Error): void {
    if (this.health.degraded) return;
    this.health.degraded = true;
    this.log.warn({ err: error }, 'Redis is unavailable: rate limiting falls back to per-process memory counters until it is back');
  }
}

/** The store constructor @fastify/rate-limit takes (`store:`): Redis counters with an in-memory fallback. */
export function createResilientRateLimitStore(redis: Redis, log: FastifyBaseLogger, keyPrefix: string): FastifyRateLimitStoreCtor {
  const health: Health = { degraded: false };
  return class extends ResilientStore {
    constructor(options: FastifyRateLimitOptions) {
      // The plugin hands the store its resolved global parameters, which carry these two flags.
      const flags = options as FastifyRateLimitOptions & { continueExceeding?: boolean; exponentialBackoff?: boolean };
      const continueExceeding = flags.continueExceeding ?? false;
      const exponentialBackoff = flags.exponentialBackoff ?? false;
      super(redis, new RedisStore(continueExceeding, exponentialBackoff, redis, keyPrefix), new LocalStore(continueExceeding, exponentialBackoff, LOCAL_CACHE_ENTRIES), health, log);
    }
  };
}
