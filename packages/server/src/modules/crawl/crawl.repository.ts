import { PostgresAdapter, sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { CrawlJobsTable, CrawlPagesTable, CrawlPageStatus, Database } from '../../db/schema.js';
import { nowIso } from '../../lib/time.js';

export type CrawlJobRow = Selectable<CrawlJobsTable>;
export type CrawlPageRow = Selectable<CrawlPagesTable>;
type Executor = Kysely<Database> | Transaction<Database>;

const ACTIVE: CrawlJobsTable['status'][] = ['queued', 'running'];

export interface PageCounts {
  found: number;
  queued: number;
  fetched: number;
  unchanged: number;
  skipped: number;
  failed: number;
}

/** How many pages of a job are in each state ("found" is all of them). */
export async function countPages(db: Executor, jobId: string): Promise<PageCounts> {
  const rows = await db.selectFrom('crawl_pages').select(['status', sql<number>`count(*)`.as('n')]).where('job_id', '=', jobId).groupBy('status').execute();
  const counts: PageCounts = { found: 0, queued: 0, fetched: 0, unchanged: 0, skipped: 0, failed: 0 };
  for (const row of rows) {
    const n = Number(row.n);
    counts.found += n;
    if (row.status === 'queued' || row.status === 'fetching') counts.queued += n;
    else counts[row.status] += n;
  }
  return counts;
}

/**
 * Claims unfinished jobs nobody holds a live lease on (new ones, and a crashed worker's once its lease has
 * expired), like the delivery worker claims deliveries: on PostgreSQL `FOR UPDATE SKIP LOCKED` lets workers
 * claim side by side; SQLite has one writer. A job taken over after a crash puts its half-fetched pages back
 * in the queue, so it carries on where it stopped.
 */
export async function claimCrawlJobs(db: Kysely<Database>, options: { owner: string; limit: number; now: string; leaseUntil: string }): Promise<CrawlJobRow[]> {
  if (options.limit <= 0) return [];
  let lockable = db.selectFrom('crawl_jobs').select('id')
    .where('status', 'in', ACTIVE)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', options.now)]))
    .orderBy('created_at')
    .limit(options.limit);
  if (db.getExecutor().adapter instanceof PostgresAdapter) lockable = lockable.forUpdate().skipLocked();
  const claimed = await db.updateTable('crawl_jobs')
    .set((eb) => ({
      lease_owner: options.owner, lease_expires_at: options.leaseUntil, status: 'running', runs: eb('runs', '+', 1),
      started_at: eb.fn.coalesce('started_at', sql.lit(options.now)), updated_at: options.now,
    }))
    .where('id', 'in', lockable)
    .returningAll()
    .execute();
  for (const job of claimed) {
    await db.updateTable('crawl_pages').set({ status: 'queued', updated_at: options.now }).where('job_id', '=', job.id).where('status', '=', 'fetching').execute();
  }
  return claimed;
}

/** Extends the lease of a job this worker holds; false when it was lost (another worker took the job over). */
export async function renewCrawlLease(db: Executor, jobId: string, owner: string, leaseUntil: string): Promise<{ held: boolean; isCancelRequested: boolean }> {
  const row = await db.updateTable('crawl_jobs').set({ lease_expires_at: leaseUntil, updated_at: nowIso() })
    .where('id', '=', jobId).where('lease_owner', '=', owner).where('status', '=', 'running')
    .returning('is_cancel_requested').executeTakeFirst();
  return { held: row !== undefined, isCancelRequested: row?.is_cancel_requested === 1 };
}

/** Ends a job this worker holds. */
export async function finishCrawlJob(
  db: Executor, jobId: string, owner: string,
  outcome: { status: 'done' | 'failed' | 'cancelled'; stopReason: string | null; error: string | null },
): Promise<void> {
  const now = nowIso();
  await db.updateTable('crawl_jobs')
    .set({ status: outcome.status, stop_reason: outcome.stopReason, error: outcome.error, lease_owner: null, lease_expires_at: null, finished_at: now, updated_at: now })
    .where('id', '=', jobId).where('lease_owner', '=', owner).execute();
  // Pages never fetched stay in the report as skipped, with why.
  if (outcome.stopReason !== null) {
    await db.updateTable('crawl_pages').set({ status: 'skipped', reason: `not fetched: ${outcome.stopReason}`, updated_at: now })
      .where('job_id', '=', jobId).where('status', 'in', ['queued', 'fetching']).execute();
  }
}

/** Gives a job back without finishing it (worker shutdown): another worker, or this one after a restart, resumes it. */
export async function releaseCrawlJob(db: Executor, jobId: string, owner: string): Promise<void> {
  await db.updateTable('crawl_jobs').set({ lease_owner: null, lease_expires_at: null, updated_at: nowIso() })
    .where('id', '=', jobId).where('lease_owner', '=', owner).execute();
}

export async function markSeeded(db: Executor, jobId: string): Promise<void> {
  await db.updateTable('crawl_jobs').set({ is_seeded: 1, updated_at: nowIso() }).where('id', '=', jobId).execute();
}

export interface NewPage {
  url: string;
  depth: number;
  status: 'queued' | 'skipped';
  reason?: string;
}

/** Adds pages to a job's frontier; a URL already known to the job is left as it is. Returns how many were new. */
export async function addPages(db: Executor, jobId: string, pages: NewPage[]): Promise<number> {
  if (pages.length === 0) return 0;
  const now = nowIso();
  const top = await db.selectFrom('crawl_pages').select(sql<number>`coalesce(max(seq), 0)`.as('seq')).where('job_id', '=', jobId).executeTakeFirstOrThrow();
  let seq = Number(top.seq);
  const rows = pages.map((page) => ({
    job_id: jobId, url: page.url, seq: (seq += 1), depth: page.depth, status: page.status, reason: page.reason ?? null,
    http_status: null, title: null, passages: 0, source_id: null, updated_at: now,
  }));
  const inserted = await db.insertInto('crawl_pages').values(rows).onConflict((oc) => oc.columns(['job_id', 'url']).doNothing()).returning('url').execute();
  return inserted.length;
}

/** The URLs a job already knows, from a list (to add only new ones, within the caps). */
export async function knownUrls(db: Executor, jobId: string, urls: string[]): Promise<Set<string>> {
  if (urls.length === 0) return new Set();
  const rows = await db.selectFrom('crawl_pages').select('url').where('job_id', '=', jobId).where('url', 'in', urls).execute();
  return new Set(rows.map((row) => row.url));
}

/** Takes the next queued page of a job (oldest found first) and marks it as being fetched. */
export async function takeNextPage(db: Kysely<Database>, jobId: string): Promise<CrawlPageRow | null> {
  return db.transaction().execute(async (trx) => {
    const next = await trx.selectFrom('crawl_pages').selectAll().where('job_id', '=', jobId).where('status', '=', 'queued').orderBy('seq').limit(1).executeTakeFirst();
    if (!next) return null;
    const taken = await trx.updateTable('crawl_pages').set({ status: 'fetching', updated_at: nowIso() })
      .where('job_id', '=', jobId).where('url', '=', next.url).where('status', '=', 'queued').executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1 ? { ...next, status: 'fetching' as const } : null;
  });
}

/** Records what happened to one page. */
export async function recordPage(
  db: Executor, jobId: string, url: string,
  result: { status: Exclude<CrawlPageStatus, 'queued' | 'fetching'>; reason?: string | null; httpStatus?: number | null; title?: string | null; passages?: number; sourceId?: string | null },
): Promise<void> {
  await db.updateTable('crawl_pages').set({
    status: result.status, reason: result.reason?.slice(0, 500) ?? null, http_status: result.httpStatus ?? null, title: result.title?.slice(0, 200) ?? null,
    passages: result.passages ?? 0, source_id: result.sourceId ?? null, updated_at: nowIso(),
  }).where('job_id', '=', jobId).where('url', '=', url).execute();
}

/** Pages of a job in the given states (fetched pages of this job, to find duplicate content). */
export async function countByStatus(db: Executor, jobId: string, statuses: CrawlPageStatus[]): Promise<number> {
  const row = await db.selectFrom('crawl_pages').select(sql<number>`count(*)`.as('n')).where('job_id', '=', jobId).where('status', 'in', statuses).executeTakeFirstOrThrow();
  return Number(row.n);
}
