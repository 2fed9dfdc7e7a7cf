import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import { isUniqueViolation } from '../../db/database.js';
import type { CrawlScheduleEvery, Database } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { addMs, nowIso, toWireTime } from '../../lib/time.js';
import { isCustomerActive } from '../accounts/accounts.service.js';
import { getChatbot } from '../chatbots/chatbots.service.js';
import { assertResolvesPublic, checkWebhookUrl } from '../delivery/url-guard.js';
import { countPages, type CrawlJobRow, type CrawlPageRow, type PageCounts } from './crawl.repository.js';

/**
 * Website imports on the request path: start one (checked and queued, never crawled here), watch it, cancel
 * it. The crawl itself runs in a worker (`crawl.worker.ts`) that holds a lease on the job.
 */

/** Every cap of website imports. Per import, per chatbot and per account; each is named when it is hit. */
export const CRAWL_LIMITS = {
  defaultPagesPerImport: 200,
  maxPagesPerImport: 1_000,
  defaultDepth: 5,
  maxDepth: 10,
  /** Total time one import may take, whatever it is waiting on. */
  timeBudgetMs: 10 * 60_000,
  /** Bytes of one HTML page; a larger page is skipped and the report says so. */
  maxPageBytes: 2 * 1024 * 1024,
  /** Bytes of one sitemap file. */
  maxSitemapBytes: 10 * 1024 * 1024,
  /** Sitemap files (an index and what it names) read per import. */
  maxSitemaps: 20,
  /** Imports and re-syncs running at once in one account (one per chatbot in any case). */
  runningPerAccount: 3,
  /** Imports and re-syncs started per chatbot in 24 hours, and per account. */
  startsPerChatbotPerDay: 20,
  startsPerAccountPerDay: 60,
} as const;

const DAY_MS = 24 * 60 * 60_000;

export interface CrawlView {
  id: string; chatbotId: string; kind: string; status: string; startUrl: string; maxPages: number; maxDepth: number;
  pages: PageCounts; passages: number; stopReason: string | null; error: string | null;
  createdAt: string; startedAt: string | null; finishedAt: string | null;
}

export interface CrawlPageView {
  url: string; depth: number; status: string; reason: string | null; httpStatus: number | null; title: string | null; passages: number; sourceId: string | null; updatedAt: string;
}

const queued = new EventEmitter();

/** Subscribes to "a website import was queued in this process" (the inline crawl worker starts at once). */
export function onCrawlQueued(listener: () => void): () => void {
  queued.on('queued', listener);
  return () => queued.off('queued', listener);
}

async function toCrawlView(db: Kysely<Database>, row: CrawlJobRow): Promise<CrawlView> {
  const [pages, passages] = await Promise.all([
    countPages(db, row.id),
    db.selectFrom('crawl_pages').select(sql<number>`coalesce(sum(passages), 0)`.as('n')).where('job_id', '=', row.id).executeTakeFirstOrThrow(),
  ]);
  return {
    id: row.id, chatbotId: row.chatbot_id, kind: row.kind, status: row.status, startUrl: row.start_url, maxPages: row.max_pages, maxDepth: row.max_depth,
    pages, passages: Number(passages.n), stopReason: row.stop_reason, error: row.error,
    createdAt: toWireTime(row.created_at), startedAt: toWireTime(row.started_at), finishedAt: toWireTime(row.finished_at),
  };
}

function toPageView(row: CrawlPageRow): CrawlPageView {
  return {
    url: row.url, depth: row.depth, status: row.status === 'fetching' ? 'queued' : row.status, reason: row.reason, httpStatus: row.http_status,
    title: row.title, passages: row.passages, sourceId: row.source_id, updatedAt: toWireTime(row.updated_at),
  };
}

/** Refuses a start that would break a per-chatbot or per-account cap, naming it. */
async function assertCanStart(db: Kysely<Database>, customerId: string, chatbotId: string): Promise<void> {
  const active = await db.selectFrom('crawl_jobs').select(['chatbot_id', 'id']).where('customer_id', '=', customerId).where('status', 'in', ['queued', 'running']).execute();
  const mine = active.find((job) => job.chatbot_id === chatbotId);
  if (mine) throw new AppError('crawl_in_progress', `A website import of this chatbot is already running (${mine.id}): one at a time per chatbot. Wait for it or cancel it.`);
  if (active.length >= CRAWL_LIMITS.runningPerAccount) {
    throw new AppError('crawl_limit', `At most ${CRAWL_LIMITS.runningPerAccount} website imports may run at once per account; wait for one to finish.`);
  }
  const since = addMs(nowIso(), -DAY_MS);
  const started = await db.selectFrom('crawl_jobs')
    .select([sql<number>`count(*)`.as('account'), sql<number>`sum(case when chatbot_id = ${chatbotId} then 1 else 0 end)`.as('chatbot')])
    .where('customer_id', '=', customerId).where('created_at', '>', since).executeTakeFirstOrThrow();
  if (Number(started.chatbot ?? 0) >= CRAWL_LIMITS.startsPerChatbotPerDay) {
    throw new AppError('crawl_limit', `At most ${CRAWL_LIMITS.startsPerChatbotPerDay} website imports or re-syncs per chatbot in 24 hours.`);
  }
  if (Number(started.account) >= CRAWL_LIMITS.startsPerAccountPerDay) {
    throw new AppError('crawl_limit', `At most ${CRAWL_LIMITS.startsPerAccountPerDay} website imports or re-syncs per account in 24 hours.`);
  }
}

async function insertJob(db: Kysely<Database>, row: CrawlJobRow): Promise<void> {
  try {
    await db.insertInto('crawl_jobs').values(row).execute();
  } catch (error) {
    // Two starts raced: the partial unique index lets one in.
    if (isUniqueViolation(error)) throw new AppError('crawl_in_progress', 'A website import of this chatbot is already running: one at a time per chatbot.');
    throw error;
  }
  queued.emit('queued');
}

/** Checks a website address and queues its import; the crawl runs in a worker. */
export async function startCrawl(
  db: Kysely<Database>, options: { allowPrivate: boolean }, customerId: string, chatbotId: string,
  input: { url: string; maxPages?: number | undefined; maxDepth?: number | undefined },
): Promise<CrawlView> {
  await getChatbot(db, customerId, chatbotId);
  const maxPages = input.maxPages ?? CRAWL_LIMITS.defaultPagesPerImport;
  const maxDepth = input.maxDepth ?? CRAWL_LIMITS.defaultDepth;
  if (maxPages < 1 || maxPages > CRAWL_LIMITS.maxPagesPerImport) {
    throw new AppError('validation_failed', `At most ${CRAWL_LIMITS.maxPagesPerImport.toLocaleString('en-US')} pages per website import.`, [{ field: 'body.maxPages', message: `must be from 1 to ${CRAWL_LIMITS.maxPagesPerImport}` }]);
  }
  if (maxDepth < 0 || maxDepth > CRAWL_LIMITS.maxDepth) {
    throw new AppError('validation_failed', `Links are followed at most ${CRAWL_LIMITS.maxDepth} clicks deep.`, [{ field: 'body.maxDepth', message: `must be from 0 to ${CRAWL_LIMITS.maxDepth}` }]);
  }
  const raw = /^[a-z][a-z0-9+.-]*:\/\//i.test(input.url.trim()) ? input.url.trim() : `https://${input.url.trim()}`;
  const check = checkWebhookUrl(raw, { allowPrivate: options.allowPrivate });
  if (!check.ok) throw new AppError('validation_failed', `The website address ${check.message}.`, [{ field: 'body.url', message: check.message }]);
  if (!options.allowPrivate) {
    try {
      await assertResolvesPublic(check.url.hostname, { field: 'body.url' });
    } catch (error) {
      if (error instanceof AppError) throw new AppError('validation_failed', error.message.replace('The webhook URL', 'The website address'), error.errors);
      throw error;
    }
  }
  check.url.hash = '';
  await assertCanStart(db, customerId, chatbotId);
  const now = nowIso();
  const row: CrawlJobRow = {
    id: newId('crl'), customer_id: customerId, chatbot_id: chatbotId, kind: 'import', start_url: check.url.href, status: 'queued',
    max_pages: maxPages, max_depth: maxDepth, time_budget_ms: CRAWL_LIMITS.timeBudgetMs, is_seeded: 0, is_cancel_requested: 0,
    stop_reason: null, error: null, lease_owner: null, lease_expires_at: null, runs: 0, created_at: now, started_at: null, finished_at: null, updated_at: now,
  };
  await insertJob(db, row);
  return toCrawlView(db, row);
}

async function firstPageUrl(db: Kysely<Database>, chatbotId: string): Promise<string | null> {
  const first = await db.selectFrom('knowledge_sources').select('url').where('chatbot_id', '=', chatbotId).where('kind', '=', 'page').where('status', '!=', 'excluded')
    .orderBy('created_at').limit(1).executeTakeFirst();
  return first?.url ?? null;
}

/** Queues a re-sync of the chatbot's web pages: each is fetched again only if it changed. */
export async function startResync(db: Kysely<Database>, customerId: string, chatbotId: string): Promise<CrawlView> {
  await getChatbot(db, customerId, chatbotId);
  const url = await firstPageUrl(db, chatbotId);
  if (url === null) throw new AppError('unprocessable', 'This chatbot has no website pages to re-sync; import a website first.');
  await assertCanStart(db, customerId, chatbotId);
  return toCrawlView(db, await queueResync(db, customerId, chatbotId, url));
}

async function queueResync(db: Kysely<Database>, customerId: string, chatbotId: string, firstUrl: string): Promise<CrawlJobRow> {
  const now = nowIso();
  const row: CrawlJobRow = {
    id: newId('crl'), customer_id: customerId, chatbot_id: chatbotId, kind: 'resync', start_url: firstUrl, status: 'queued',
    max_pages: CRAWL_LIMITS.maxPagesPerImport * 5, max_depth: 0, time_budget_ms: CRAWL_LIMITS.timeBudgetMs, is_seeded: 0, is_cancel_requested: 0,
    stop_reason: null, error: null, lease_owner: null, lease_expires_at: null, runs: 0, created_at: now, started_at: null, finished_at: null, updated_at: now,
  };
  await insertJob(db, row);
  return row;
}

const SCHEDULE_INTERVAL_MS: Record<CrawlScheduleEvery, number> = { daily: DAY_MS, weekly: 7 * DAY_MS };
/** A due re-sync that cannot start now (an import is running) is tried again this much later. */
const SCHEDULE_RETRY_MS = 60 * 60_000;

export interface ScheduleView { every: 'off' | CrawlScheduleEvery; nextRunAt: string | null }

/** The chatbot's automatic re-sync. */
export async function getResyncSchedule(db: Kysely<Database>, customerId: string, chatbotId: string): Promise<ScheduleView> {
  await getChatbot(db, customerId, chatbotId);
  const row = await db.selectFrom('crawl_schedules').selectAll().where('chatbot_id', '=', chatbotId).where('customer_id', '=', customerId).executeTakeFirst();
  return row ? { every: row.every, nextRunAt: toWireTime(row.next_run_at) } : { every: 'off', nextRunAt: null };
}

/** Turns the automatic re-sync on (daily or weekly, the first one an interval from now) or off. */
export async function setResyncSchedule(db: Kysely<Database>, customerId: string, chatbotId: string, every: ScheduleView['every']): Promise<ScheduleView> {
  await getChatbot(db, customerId, chatbotId);
  if (every === 'off') {
    await db.deleteFrom('crawl_schedules').where('chatbot_id', '=', chatbotId).where('customer_id', '=', customerId).execute();
    return { every: 'off', nextRunAt: null };
  }
  const now = nowIso();
  const nextRunAt = addMs(now, SCHEDULE_INTERVAL_MS[every]);
  await db.insertInto('crawl_schedules').values({ chatbot_id: chatbotId, customer_id: customerId, every, next_run_at: nextRunAt, updated_at: now })
    .onConflict((oc) => oc.column('chatbot_id').doUpdateSet({ every, next_run_at: nextRunAt, updated_at: now })).execute();
  return { every, nextRunAt: toWireTime(nextRunAt) };
}

/**
 * Queues the re-syncs that are due (the crawl worker calls it every minute). Each schedule moves on before its
 * job is queued, guarded by its old due time, so two workers never queue one twice; a chatbot with an import
 * running is tried again an hour later, and lapsed accounts and chatbots without web pages are skipped.
 */
export async function queueDueResyncs(db: Kysely<Database>, now: string = nowIso()): Promise<number> {
  const due = await db.selectFrom('crawl_schedules').innerJoin('customers', 'customers.id', 'crawl_schedules.customer_id')
    .select(['crawl_schedules.chatbot_id', 'crawl_schedules.customer_id', 'crawl_schedules.every', 'crawl_schedules.next_run_at', 'customers.status', 'customers.trial_ends_at'])
    .where('crawl_schedules.next_run_at', '<=', now).orderBy('crawl_schedules.next_run_at').limit(50).execute();
  let queuedCount = 0;
  for (const schedule of due) {
    const active = await db.selectFrom('crawl_jobs').select('id').where('chatbot_id', '=', schedule.chatbot_id).where('status', 'in', ['queued', 'running']).executeTakeFirst();
    const next = addMs(now, active ? SCHEDULE_RETRY_MS : SCHEDULE_INTERVAL_MS[schedule.every]);
    const moved = await db.updateTable('crawl_schedules').set({ next_run_at: next, updated_at: now })
      .where('chatbot_id', '=', schedule.chatbot_id).where('next_run_at', '=', schedule.next_run_at).executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1 || active || !isCustomerActive(schedule, now)) continue;
    const url = await firstPageUrl(db, schedule.chatbot_id);
    if (url === null) continue;
    try {
      await queueResync(db, schedule.customer_id, schedule.chatbot_id, url);
      queuedCount += 1;
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'crawl_in_progress')) throw error;
    }
  }
  return queuedCount;
}

async function getJob(db: Kysely<Database>, customerId: string, chatbotId: string, crawlId: string): Promise<CrawlJobRow> {
  await getChatbot(db, customerId, chatbotId);
  const row = await db.selectFrom('crawl_jobs').selectAll().where('customer_id', '=', customerId).where('chatbot_id', '=', chatbotId).where('id', '=', crawlId).executeTakeFirst();
  return assertFound(row, 'Website import');
}

/** One import with its live counts. */
export async function getCrawl(db: Kysely<Database>, customerId: string, chatbotId: string, crawlId: string): Promise<CrawlView> {
  return toCrawlView(db, await getJob(db, customerId, chatbotId, crawlId));
}

/** A chatbot's imports, newest first. */
export async function listCrawls(db: Kysely<Database>, customerId: string, chatbotId: string, filter: { limit: number; cursor?: string | undefined }): Promise<{ items: CrawlView[]; nextCursor: string | null }> {
  await getChatbot(db, customerId, chatbotId);
  const cursor = decodeCursor(filter.cursor);
  let query = db.selectFrom('crawl_jobs').selectAll().where('customer_id', '=', customerId).where('chatbot_id', '=', chatbotId);
  if (cursor) query = query.where((eb) => eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]));
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
  const page = toPage(rows, filter.limit, (row) => row);
  return { items: await Promise.all(page.items.map((row) => toCrawlView(db, row))), nextCursor: page.nextCursor };
}

/** The pages of an import (optionally of one status), in the order they were found. */
export async function listCrawlPages(
  db: Kysely<Database>, customerId: string, chatbotId: string, crawlId: string, filter: { status?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: CrawlPageView[]; nextCursor: string | null }> {
  await getJob(db, customerId, chatbotId, crawlId);
  const after = filter.cursor && /^\d{1,9}$/.test(filter.cursor) ? Number(filter.cursor) : 0;
  if (filter.cursor && after === 0) throw new AppError('validation_failed', 'The cursor is not valid.', [{ field: 'querystring.cursor', message: 'is not a cursor from this list' }]);
  let query = db.selectFrom('crawl_pages').selectAll().where('job_id', '=', crawlId).where('seq', '>', after);
  if (filter.status === 'queued') query = query.where('status', 'in', ['queued', 'fetching']);
  else if (filter.status) query = query.where('status', '=', filter.status as CrawlPageRow['status']);
  const rows = await query.orderBy('seq').limit(filter.limit + 1).execute();
  const items = rows.slice(0, filter.limit);
  return { items: items.map(toPageView), nextCursor: rows.length > filter.limit ? String(items.at(-1)?.seq ?? '') : null };
}

/**
 * Cancels an import: a queued one ends now; a running one stops after the pages being fetched (the worker
 * sees the flag within a page or two). Pages imported so far stay, as sources the customer can delete.
 */
export async function cancelCrawl(db: Kysely<Database>, customerId: string, chatbotId: string, crawlId: string): Promise<CrawlView> {
  const job = await getJob(db, customerId, chatbotId, crawlId);
  const now = nowIso();
  if (job.status !== 'queued' && job.status !== 'running') throw new AppError('conflict', `This import has already ended (${job.status}).`);
  // The flag first: a worker that claims the job meanwhile sees it.
  await db.updateTable('crawl_jobs').set({ is_cancel_requested: 1, updated_at: now }).where('id', '=', crawlId).where('status', 'in', ['queued', 'running']).execute();
  await db.updateTable('crawl_jobs').set({ status: 'cancelled', stop_reason: 'cancelled by you', finished_at: now, updated_at: now })
    .where('id', '=', crawlId).where('status', '=', 'queued').execute();
  return getCrawl(db, customerId, chatbotId, crawlId);
}
