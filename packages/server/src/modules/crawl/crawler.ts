import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import robotsParserModule from 'robots-parser';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import { findPageSource, listPageSourcesToSync, markSourceFailed, markSourceUnchanged, savePageSource, type SourceRow } from '../knowledge/sources.service.js';
import {
  addPages, finishCrawlJob, knownUrls, markSeeded, recordPage, renewCrawlLease, takeNextPage, type CrawlJobRow, type CrawlPageRow, type NewPage,
} from './crawl.repository.js';
import { CRAWL_LIMITS } from './crawl.service.js';
import { extractPage } from './page-extractor.js';
import { readSitemap } from './sitemap-reader.js';
import { CONNECTIONS_PER_SITE, siteKeyOf, type FetchFailure, type FetchedResponse, type SiteFetcher } from './site-fetcher.js';

/**
 * Runs one website import (or re-sync) for the worker that holds its lease. The job's frontier lives in
 * `crawl_pages`, so a job taken over after a crash carries on from there. Same site only; robots.txt
 * honoured (its `Crawl-delay` too, up to a limit); sitemaps read; at most two requests at once per site;
 * every page's fate recorded with the reason; every cap stops the crawl with a sentence that names it.
 */

// robots-parser is CommonJS (`module.exports = fn`) while its typings declare a default export.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

/** The product token robots.txt rules are matched against. */
export const CRAWLER_TOKEN = 'FusionChatalystBot';
const MAX_ROBOTS_BYTES = 512 * 1024;
const MAX_CRAWL_DELAY_MS = 10_000;
/** Skipped links recorded per import (beyond it they are only counted out of the report). */
const MAX_SKIPPED_RECORDED = 500;
const HTML_TYPES = /^(text\/html|application\/xhtml\+xml)\b/i;
const NOT_A_PAGE = /\.(pdf|docx?|xlsx?|pptx?|zip|gz|rar|7z|jpe?g|png|gif|webp|svg|ico|mp[34]|mov|avi|webm|wav|ogg|css|js|json|xml|rss|atom|txt|csv|woff2?|ttf|eot|exe|dmg|apk)$/i;
const TRACKING_PARAM = /^(utm_[a-z]+|gclid|fbclid|mc_cid|mc_eid)$/i;

export interface CrawlerDeps {
  db: Kysely<Database>;
  fetcher: SiteFetcher;
  userAgent: string;
  owner: string;
  leaseMs: number;
  /** Shutdown: the job is released (not finished) and resumed later. */
  signal: AbortSignal;
  log: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

export type CrawlRunOutcome = 'finished' | 'released' | 'lost';

interface Robots {
  isAllowed(url: string): boolean;
  crawlDelayMs: number;
  sitemaps: string[];
}

/** Drops the fragment and tracking parameters, so one page is one URL. */
export function normalizePageUrl(input: string | URL): URL {
  const url = new URL(input);
  url.hash = '';
  for (const name of [...url.searchParams.keys()]) if (TRACKING_PARAM.test(name)) url.searchParams.delete(name);
  return url;
}

function decodeBody(body: Buffer, contentType: string): string {
  const declared = /charset=["']?([\w.:-]+)/i.exec(contentType)?.[1];
  const sniffed = declared ?? /<meta[^>]+charset=["']?([\w.:-]+)/i.exec(body.subarray(0, 2048).toString('latin1'))?.[1];
  try {
    return new TextDecoder(sniffed ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

function hashPassages(title: string, passages: unknown[]): string {
  return createHash('sha256').update(JSON.stringify([title, passages])).digest('hex');
}

function describeStatus(status: number): string {
  const words: Record<number, string> = { 401: 'needs a login', 403: 'forbidden', 404: 'not found', 410: 'gone', 429: 'too many requests', 500: 'server error', 502: 'bad gateway', 503: 'unavailable' };
  return `HTTP ${status}${words[status] ? ` (${words[status]})` : ''}`;
}

class CrawlRun {
  private readonly site: string;
  private readonly origin: string;
  private robots: Robots = { isAllowed: () => true, crawlDelayMs: 0, sitemaps: [] };
  private admitted = 0;
  private skippedRecorded = 0;
  private stopReason: string | null = null;
  private isCancelled = false;
  private isLeaseLost = false;
  /** The knowledge base is full: nothing more can be saved, so the crawl stops. */
  private isKnowledgeFull = false;
  private readonly seenHashes = new Map<string, string>();
  private readonly syncSources = new Map<string, SourceRow>();
  private readonly startedAtMs: number;

  constructor(private readonly deps: CrawlerDeps, private readonly job: CrawlJobRow) {
    const start = new URL(job.start_url);
    this.site = siteKeyOf(start);
    this.origin = start.origin;
    this.startedAtMs = Date.parse(job.started_at ?? job.created_at);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'user-agent': this.deps.userAgent, accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1', 'accept-encoding': 'identity', ...extra };
  }

  private refuseRedirect = (target: URL): string | null => {
    if (siteKeyOf(target) !== this.site) return `that leaves the site (${target.host}); only pages of ${this.site} are imported`;
    if (!this.robots.isAllowed(target.href)) return 'disallowed by robots.txt';
    return null;
  };

  private async loadRobots(): Promise<string | null> {
    const url = `${this.origin}/robots.txt`;
    const result = await this.deps.fetcher.fetch(url, { maxBytes: MAX_ROBOTS_BYTES, headers: this.headers({ accept: 'text/plain,*/*;q=0.5' }), signal: this.deps.signal, checkRedirect: (target) => (siteKeyOf(target) === this.site ? null : 'off-site') });
    if (!result.ok) {
      // Unreachable robots.txt: RFC 9309 says assume everything is disallowed, so stop rather than guess.
      if (result.kind === 'network' || result.kind === 'timeout') return `robots.txt could not be fetched (${result.message}); nothing was imported`;
      return null;
    }
    if (result.status >= 500) return `robots.txt answered ${describeStatus(result.status)}; the site asks crawlers to come back later, so nothing was imported`;
    if (result.status < 200 || result.status >= 300) return null;
    const parsed = robotsParser(url, result.body.toString('utf8'));
    const delaySeconds = parsed.getCrawlDelay(CRAWLER_TOKEN);
    this.robots = {
      isAllowed: (pageUrl) => parsed.isAllowed(pageUrl, CRAWLER_TOKEN) !== false,
      crawlDelayMs: Math.min(MAX_CRAWL_DELAY_MS, Math.max(0, (delaySeconds ?? 0) * 1000)),
      sitemaps: parsed.getSitemaps(),
    };
    return null;
  }

  /** Sorts candidate links into the queue or the report (off-site, robots.txt, not a page), within the caps. */
  private async admit(candidates: string[], depth: number): Promise<void> {
    const pages: NewPage[] = [];
    const unique = new Map<string, URL>();
    for (const candidate of candidates) {
      try {
        const url = normalizePageUrl(candidate);
        if (url.protocol === 'http:' || url.protocol === 'https:') unique.set(url.href, url);
      } catch {
        // not a URL
      }
    }
    const known = await knownUrls(this.deps.db, this.job.id, [...unique.keys()]);
    for (const [href, url] of unique) {
      if (known.has(href)) continue;
      let reason: string | null = null;
      if (siteKeyOf(url) !== this.site) reason = `off-site link (${url.host}): only pages of ${this.site} are imported`;
      else if (!this.robots.isAllowed(href)) reason = 'disallowed by robots.txt';
      else if (NOT_A_PAGE.test(url.pathname)) reason = `not a web page (${/\.[a-z0-9]+$/i.exec(url.pathname)?.[0] ?? ''} file)`;
      if (reason !== null) {
        if (this.skippedRecorded < MAX_SKIPPED_RECORDED) {
          this.skippedRecorded += 1;
          pages.push({ url: href, depth, status: 'skipped', reason });
        }
        continue;
      }
      if (this.admitted >= this.job.max_pages) {
        this.stopReason ??= `page limit reached: at most ${this.job.max_pages.toLocaleString('en-US')} pages per import (more links were found)`;
        continue;
      }
      this.admitted += 1;
      pages.push({ url: href, depth, status: 'queued' });
    }
    await addPages(this.deps.db, this.job.id, pages);
  }

  private async readSitemaps(roots: string[]): Promise<string[]> {
    const pages: string[] = [];
    const queue = [...roots];
    const seen = new Set<string>();
    while (queue.length > 0 && seen.size < CRAWL_LIMITS.maxSitemaps && pages.length < this.job.max_pages * 2) {
      const next = queue.shift() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      let url: URL;
      try {
        url = new URL(next);
      } catch {
        continue;
      }
      if (siteKeyOf(url) !== this.site || !this.robots.isAllowed(url.href)) continue;
      const result = await this.deps.fetcher.fetch(url.href, { maxBytes: CRAWL_LIMITS.maxSitemapBytes, headers: this.headers({ accept: 'application/xml,text/xml;q=0.9,*/*;q=0.1' }), signal: this.deps.signal, checkRedirect: this.refuseRedirect });
      if (!result.ok || result.status !== 200) continue;
      const sitemap = readSitemap(result.body.toString('utf8'));
      if (!sitemap) continue;
      pages.push(...sitemap.pages);
      queue.push(...sitemap.sitemaps);
    }
    return pages;
  }

  private async seed(): Promise<void> {
    const start = normalizePageUrl(this.job.start_url);
    if (this.job.kind === 'resync') {
      const sources = await listPageSourcesToSync(this.deps.db, this.job.chatbot_id, this.job.max_pages);
      await addPages(this.deps.db, this.job.id, sources.flatMap((source) => (source.url ? [{ url: source.url, depth: 0, status: 'queued' as const }] : [])));
      this.admitted = sources.length;
    } else if (/\.xml$/i.test(start.pathname)) {
      // A sitemap address: its pages are the crawl (their links are followed too, up to the depth).
      const fromSitemap = await this.readSitemaps([start.href]);
      if (fromSitemap.length === 0) {
        await addPages(this.deps.db, this.job.id, [{ url: start.href, depth: 0, status: 'skipped', reason: 'not a sitemap, or a sitemap that lists no pages' }]);
      }
      await this.admit(fromSitemap, 0);
    } else {
      await this.admit([start.href], 0);
      // The sitemap's pages count as one click away: a depth-0 import is the start page alone.
      if (this.job.max_depth >= 1) {
        const sitemaps = this.robots.sitemaps.length > 0 ? this.robots.sitemaps : [`${this.origin}/sitemap.xml`];
        await this.admit(await this.readSitemaps(sitemaps), 1);
      }
    }
    await markSeeded(this.deps.db, this.job.id);
  }

  private async loadSyncSources(): Promise<void> {
    if (this.job.kind !== 'resync') return;
    for (const source of await listPageSourcesToSync(this.deps.db, this.job.chatbot_id, this.job.max_pages)) {
      if (source.url) this.syncSources.set(source.url, source);
    }
  }

  private async fetchPage(page: CrawlPageRow): Promise<FetchedResponse | FetchFailure> {
    const source = this.syncSources.get(page.url);
    const conditional: Record<string, string> = {};
    // Conditional request only while the stored passages are the page's (a failed source is fetched in full).
    if (source?.status === 'active' && source.etag) conditional['if-none-match'] = source.etag;
    if (source?.status === 'active' && source.last_modified) conditional['if-modified-since'] = source.last_modified;
    return this.deps.fetcher.fetch(page.url, {
      maxBytes: CRAWL_LIMITS.maxPageBytes, headers: this.headers(conditional), signal: this.deps.signal, checkRedirect: this.refuseRedirect,
      acceptContentType: (type) => HTML_TYPES.test(type),
    });
  }

  private async processPage(page: CrawlPageRow): Promise<void> {
    const record = (result: Parameters<typeof recordPage>[3]) => recordPage(this.deps.db, this.job.id, page.url, result);
    const source = this.syncSources.get(page.url);
    if (!this.robots.isAllowed(page.url)) return record({ status: 'skipped', reason: 'disallowed by robots.txt' });
    const response = await this.fetchPage(page);
    if (!response.ok) {
      if (response.kind === 'aborted') return;
      if (source) await markSourceFailed(this.deps.db, source, response.message, { dropPassages: false });
      return record({ status: response.kind === 'too_large' ? 'skipped' : 'failed', reason: response.message });
    }
    const { status, headers } = response;
    if (status === 304 && source) {
      await markSourceUnchanged(this.deps.db, source.id, { etag: headers.etag ?? null, lastModified: headers['last-modified'] ?? null });
      return record({ status: 'unchanged', reason: 'not modified (304)', httpStatus: status, title: source.title, sourceId: source.id });
    }
    if (status < 200 || status >= 300) {
      // A page that is gone takes its passages with it; a passing error (5xx, 429) leaves them until the next sync.
      if (source) await markSourceFailed(this.deps.db, source, `${describeStatus(status)} at the last re-sync`, { dropPassages: status === 404 || status === 410 });
      return record({ status: 'failed', reason: describeStatus(status), httpStatus: status });
    }
    const contentType = headers['content-type'] ?? '';
    if (!HTML_TYPES.test(contentType)) return record({ status: 'skipped', reason: `not HTML (${contentType.split(';')[0] || 'no content type'})`, httpStatus: status });
    const finalUrl = normalizePageUrl(response.url);
    // A same-site redirect to a page this import has on its own list: that page is the source, not this address.
    if (finalUrl.href !== page.url && (await knownUrls(this.deps.db, this.job.id, [finalUrl.href])).has(finalUrl.href)) {
      return record({ status: 'skipped', reason: `redirects to ${finalUrl.href}, which is imported on its own`, httpStatus: status });
    }
    const extracted = extractPage(decodeBody(response.body, contentType), finalUrl);
    if (this.job.kind === 'import' && !extracted.isNoFollow && page.depth < this.job.max_depth) await this.admit(extracted.links, page.depth + 1);
    if (extracted.isNoIndex) return record({ status: 'skipped', reason: 'the page asks not to be indexed (meta robots noindex)', httpStatus: status, title: extracted.title });
    if (extracted.passages.length === 0) return record({ status: 'skipped', reason: 'no text found on the page (only links, or nothing)', httpStatus: status, title: extracted.title });
    const contentHash = hashPassages(extracted.title, extracted.passages);
    const twin = this.seenHashes.get(contentHash);
    if (twin !== undefined && twin !== finalUrl.href) return record({ status: 'skipped', reason: `same text as ${twin}`, httpStatus: status, title: extracted.title });
    this.seenHashes.set(contentHash, finalUrl.href);
    const validators = { etag: headers.etag ?? null, lastModified: headers['last-modified'] ?? null };
    const current = source ?? await findPageSource(this.deps.db, this.job.chatbot_id, finalUrl.href);
    if (current?.status === 'excluded') return record({ status: 'skipped', reason: 'excluded from the knowledge base by you', httpStatus: status, title: extracted.title, sourceId: current.id });
    if (current && current.status === 'active' && current.content_hash === contentHash) {
      await markSourceUnchanged(this.deps.db, current.id, validators);
      return record({ status: 'unchanged', reason: 'same text as at the last sync', httpStatus: status, title: extracted.title, passages: current.passages, sourceId: current.id });
    }
    try {
      const saved = await savePageSource(this.deps.db, {
        customerId: this.job.customer_id, chatbotId: this.job.chatbot_id, url: finalUrl.href, title: extracted.title, passages: extracted.passages, ...validators, contentHash,
      });
      if (!saved.saved) return record({ status: 'skipped', reason: 'excluded from the knowledge base by you', httpStatus: status, title: extracted.title, sourceId: saved.source.id });
      return record({ status: 'fetched', reason: finalUrl.href !== page.url ? `redirected to ${finalUrl.href}` : null, httpStatus: status, title: extracted.title, passages: extracted.passages.length, sourceId: saved.source.id });
    } catch (error) {
      if (error instanceof AppError && error.code === 'knowledge_limit') {
        this.stopReason = error.message.replace(/ Nothing was saved\.$/, '');
        this.isKnowledgeFull = true;
        return record({ status: 'failed', reason: error.message.replace('Nothing was saved.', 'This page was not saved.'), httpStatus: status, title: extracted.title });
      }
      throw error;
    }
  }

  /** Renews the lease and reads the cancel flag; false when the crawl must stop now. */
  private async checkpoint(): Promise<boolean> {
    if (this.deps.signal.aborted) return false;
    const { held, isCancelRequested } = await renewCrawlLease(this.deps.db, this.job.id, this.deps.owner, new Date(Date.now() + this.deps.leaseMs).toISOString());
    if (!held) {
      this.isLeaseLost = true;
      return false;
    }
    if (isCancelRequested) {
      this.isCancelled = true;
      return false;
    }
    if (Date.now() - this.startedAtMs > this.job.time_budget_ms) {
      this.stopReason ??= `time budget used up: at most ${Math.round(this.job.time_budget_ms / 60_000)} minutes per import`;
      return false;
    }
    return !this.isKnowledgeFull;
  }

  async run(): Promise<CrawlRunOutcome> {
    if (this.job.is_cancel_requested === 1) {
      await finishCrawlJob(this.deps.db, this.job.id, this.deps.owner, { status: 'cancelled', stopReason: 'cancelled by you', error: null });
      return 'finished';
    }
    const robotsProblem = await this.loadRobots();
    if (this.deps.signal.aborted) return 'released';
    if (robotsProblem) {
      await finishCrawlJob(this.deps.db, this.job.id, this.deps.owner, { status: 'failed', stopReason: null, error: robotsProblem });
      return 'finished';
    }
    await this.loadSyncSources();
    const existing = await this.deps.db.selectFrom('crawl_pages').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', this.job.id).where('status', '!=', 'skipped').executeTakeFirstOrThrow();
    this.admitted = Number(existing.n);
    const skipped = await this.deps.db.selectFrom('crawl_pages').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', this.job.id).where('status', '=', 'skipped').executeTakeFirstOrThrow();
    this.skippedRecorded = Number(skipped.n);
    if (this.job.is_seeded !== 1) await this.seed();
    const lanes = this.robots.crawlDelayMs > 0 ? 1 : CONNECTIONS_PER_SITE;
    while (await this.checkpoint()) {
      const batch: CrawlPageRow[] = [];
      for (let lane = 0; lane < lanes; lane += 1) {
        const next = await takeNextPage(this.deps.db, this.job.id);
        if (next) batch.push(next);
      }
      if (batch.length === 0) break;
      await Promise.all(batch.map((page) => this.processPage(page).catch(async (error: unknown) => {
        this.deps.log.error({ err: error, jobId: this.job.id, url: page.url }, 'crawling a page failed unexpectedly');
        await recordPage(this.deps.db, this.job.id, page.url, { status: 'failed', reason: 'could not be imported (internal error)' });
      })));
      if (this.robots.crawlDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.robots.crawlDelayMs));
    }
    if (this.isLeaseLost) return 'lost';
    if (this.deps.signal.aborted) return 'released';
    if (this.isCancelled) {
      await finishCrawlJob(this.deps.db, this.job.id, this.deps.owner, { status: 'cancelled', stopReason: 'cancelled by you', error: null });
      return 'finished';
    }
    const start = await this.deps.db.selectFrom('crawl_pages').select(['status', 'reason']).where('job_id', '=', this.job.id).orderBy('seq').limit(1).executeTakeFirst();
    const imported = await this.deps.db.selectFrom('crawl_pages').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', this.job.id).where('status', 'in', ['fetched', 'unchanged']).executeTakeFirstOrThrow();
    if (Number(imported.n) === 0 && this.job.kind === 'import') {
      const why = start ? `${start.status === 'skipped' ? 'skipped' : 'failed'}: ${start.reason ?? 'no text found'}` : 'no pages found';
      await finishCrawlJob(this.deps.db, this.job.id, this.deps.owner, { status: 'failed', stopReason: this.stopReason, error: `Nothing was imported. The start page ${why}.` });
      return 'finished';
    }
    await finishCrawlJob(this.deps.db, this.job.id, this.deps.owner, { status: 'done', stopReason: this.stopReason, error: null });
    return 'finished';
  }
}

/** Runs a claimed job until it ends, the worker stops (released) or its lease is lost. */
export async function runCrawlJob(deps: CrawlerDeps, job: CrawlJobRow): Promise<CrawlRunOutcome> {
  return new CrawlRun(deps, job).run();
}
