import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { AppConfig } from '../../config.js';
import type { Database } from '../../db/schema.js';
import { claimCrawlJobs, releaseCrawlJob, renewCrawlLease, type CrawlJobRow } from './crawl.repository.js';
import { onCrawlQueued, queueDueResyncs } from './crawl.service.js';
import { CRAWLER_TOKEN, runCrawlJob, type CrawlRunOutcome } from './crawler.js';
import { createSiteFetcher, type SiteFetcher } from './site-fetcher.js';
import type { ResolveAllFn } from '../delivery/url-guard.js';

/** How long a worker owns a crawl job without renewing; a crashed worker's job is resumed after it. */
export const CRAWL_LEASE_MS = 60_000;
const CRAWL_POLL_INTERVAL_MS = 2_000;
/** Imports one worker runs at once (each is capped at two requests to its site). */
const JOBS_PER_WORKER = 4;
/** How often scheduled (daily, weekly) re-syncs are looked for. */
const SCHEDULE_SWEEP_MS = 60_000;

export interface CrawlWorkerOptions {
  db: Kysely<Database>;
  config: Pick<AppConfig, 'allowPrivateWebhookTargets' | 'crawlerContactUrl' | 'version'>;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  pollIntervalMs?: number;
  leaseMs?: number;
  /** Overrides DNS resolution (tests). */
  resolve?: ResolveAllFn;
}

export interface CrawlWorker {
  readonly owner: string;
  start(): void;
  /** Stops taking jobs and hands the running ones back (their leases are released; they resume later). */
  stop(): Promise<void>;
  wake(): void;
  /** Claims and runs due jobs to their end (tests and benchmarks). */
  runOnce(): Promise<CrawlRunOutcome[]>;
}

/** The crawler's User-Agent: the product, its version and where a site owner can read about it. */
export function crawlerUserAgent(config: Pick<AppConfig, 'crawlerContactUrl' | 'version'>): string {
  return `Mozilla/5.0 (compatible; ${CRAWLER_TOKEN}/${config.version}; +${config.crawlerContactUrl})`;
}

/**
 * The website-import worker: claims queued crawl jobs with a lease (the delivery worker's pattern), runs each
 * to its end while renewing the lease, and on shutdown releases what it holds so another worker resumes it.
 */
export function createCrawlWorker(options: CrawlWorkerOptions): CrawlWorker {
  const { db, log } = options;
  const owner = `${hostname()}:${process.pid}:crawl:${randomBytes(4).toString('hex')}`;
  const leaseMs = options.leaseMs ?? CRAWL_LEASE_MS;
  const pollIntervalMs = options.pollIntervalMs ?? CRAWL_POLL_INTERVAL_MS;
  const fetcher: SiteFetcher = createSiteFetcher({ allowPrivate: options.config.allowPrivateWebhookTargets, ...(options.resolve ? { resolve: options.resolve } : {}) });
  const userAgent = crawlerUserAgent(options.config);
  const abort = new AbortController();
  const running = new Map<string, Promise<CrawlRunOutcome>>();
  let isRunning = false;
  let timer: NodeJS.Timeout | null = null;
  let scheduleTimer: NodeJS.Timeout | null = null;
  let unsubscribe: (() => void) | null = null;
  let claiming: Promise<CrawlJobRow[]> | null = null;

  function runJob(job: CrawlJobRow): Promise<CrawlRunOutcome> {
    // The lease is renewed between pages too; this covers long waits (robots.txt, a large sitemap).
    const heartbeat = setInterval(() => {
      void renewCrawlLease(db, job.id, owner, new Date(Date.now() + leaseMs).toISOString()).catch(() => undefined);
    }, Math.max(1_000, Math.floor(leaseMs / 3)));
    heartbeat.unref();
    const task = runCrawlJob({ db, fetcher, userAgent, owner, leaseMs, signal: abort.signal, log }, job)
      .then(async (outcome) => {
        if (outcome === 'released') await releaseCrawlJob(db, job.id, owner);
        if (outcome === 'lost') log.warn({ jobId: job.id }, 'lost the lease of a website import; another worker carries on');
        return outcome;
      })
      .catch(async (error: unknown) => {
        log.error({ err: error, jobId: job.id }, 'website import failed unexpectedly; it resumes when its lease expires');
        return 'lost' as const;
      })
      .finally(() => {
        clearInterval(heartbeat);
        running.delete(job.id);
        if (isRunning) wake();
      });
    running.set(job.id, task);
    return task;
  }

  async function claim(): Promise<CrawlJobRow[]> {
    const room = JOBS_PER_WORKER - running.size;
    if (room <= 0) return [];
    claiming ??= claimCrawlJobs(db, { owner, limit: room, now: new Date().toISOString(), leaseUntil: new Date(Date.now() + leaseMs).toISOString() })
      .finally(() => { claiming = null; });
    return claiming;
  }

  function wake(): void {
    if (!isRunning) return;
    void claim().then((jobs) => { for (const job of jobs) void runJob(job); }).catch((error: unknown) => log.error({ err: error }, 'claiming website imports failed'));
  }

  return {
    owner,
    wake,
    start() {
      if (isRunning) return;
      isRunning = true;
      unsubscribe = onCrawlQueued(wake);
      timer = setInterval(wake, pollIntervalMs);
      timer.unref();
      const sweepSchedules = (): void => {
        void queueDueResyncs(db).then((count) => { if (count > 0) wake(); }).catch((error: unknown) => log.error({ err: error }, 'queueing scheduled re-syncs failed'));
      };
      scheduleTimer = setInterval(sweepSchedules, SCHEDULE_SWEEP_MS);
      scheduleTimer.unref();
      sweepSchedules();
      wake();
    },
    async stop() {
      isRunning = false;
      unsubscribe?.();
      if (timer) clearInterval(timer);
      if (scheduleTimer) clearInterval(scheduleTimer);
      await claiming?.catch(() => undefined);
      abort.abort();
      await Promise.allSettled([...running.values()]);
      await fetcher.close();
    },
    async runOnce() {
      const jobs = await claim();
      return Promise.all(jobs.map((job) => runJob(job)));
    },
  };
}
