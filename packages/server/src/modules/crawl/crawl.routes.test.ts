import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { acmeWebsiteRoutes, htmlPage, startLocalWebsite, type LocalWebsite } from '../../bench/local-website.js';
import { claimCrawlJobs } from './crawl.repository.js';
import { queueDueResyncs } from './crawl.service.js';
import { createCrawlWorker, type CrawlWorker } from './crawl.worker.js';

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface CrawlBody {
  id: string; status: string; stopReason: string | null; error: string | null; passages: number;
  pages: { found: number; queued: number; fetched: number; unchanged: number; skipped: number; failed: number };
}
interface PageBody { url: string; status: string; reason: string | null; httpStatus: number | null; passages: number; sourceId: string | null }

describe('website import (crawler over a local site)', () => {
  let ctx: TestContext;
  let site: LocalWebsite;
  let worker: CrawlWorker;
  let account: TestAccount;

  beforeAll(async () => {
    // Loopback is allowed (FC_ALLOW_PRIVATE_WEBHOOK_TARGETS=true) so the test site on 127.0.0.1 can be crawled;
    // the redirect to 10.0.0.1 must still be refused, by the same-site rule.
    ctx = await createTestApp({ FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true', FC_CRAWLER_CONTACT_URL: 'https://acme-saas.example.com/crawler' });
    site = await startLocalWebsite(acmeWebsiteRoutes());
    worker = createCrawlWorker({ db: ctx.database.db, config: ctx.config, log: quietLog });
    account = await signUpAccount(ctx.app);
  });

  afterAll(async () => {
    await worker.stop();
    await site.close();
    await ctx.close();
  });

  const startCrawl = (chatbotId: string, body: Record<string, unknown>, who: TestAccount = account) =>
    ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/crawls`, headers: who.headers, payload: body });
  const getCrawl = async (chatbotId: string, crawlId: string) =>
    (await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${chatbotId}/crawls/${crawlId}`, headers: account.headers })).json<CrawlBody>();
  const getPages = async (chatbotId: string, crawlId: string) =>
    (await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${chatbotId}/crawls/${crawlId}/pages?limit=200`, headers: account.headers })).json<{ items: PageBody[] }>().items;
  const ask = async (chatbotId: string, message: string) =>
    (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: `v-${Math.random().toString(36).slice(2)}`, message } }))
      .json<{ message: { text: string }; sources: { id: string; title: string; url?: string }[] }>();

  it('imports the same site’s pages, honours robots.txt and the sitemap, and says why each other page was skipped or refused', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const started = await startCrawl(bot.id, { url: `${site.origin}/` });
    expect(started.statusCode).toBe(202);
    const crawl = started.json<CrawlBody>();
    expect(crawl.status).toBe('queued');
    // One at a time per chatbot: a second start answers 409, naming the running one.
    const second = await startCrawl(bot.id, { url: `${site.origin}/` });
    expect(second.statusCode).toBe(409);
    expect(second.json<{ code: string; detail: string }>().detail).toContain(crawl.id);

    expect(await worker.runOnce()).toEqual(['finished']);
    const done = await getCrawl(bot.id, crawl.id);
    expect(done.status).toBe('done');
    const pages = new Map((await getPages(bot.id, crawl.id)).map((page) => [page.url.replace(site.origin, ''), page]));

    for (const path of ['/', '/hours', '/services', '/faq']) expect(pages.get(path)?.status, path).toBe('fetched');
    expect(pages.get('/faq')?.passages).toBe(2);
    expect(pages.get('/private/staff')).toMatchObject({ status: 'skipped', reason: 'disallowed by robots.txt' });
    expect(pages.get('/loop-a')).toMatchObject({ status: 'failed' });
    expect(pages.get('/loop-a')?.reason).toContain('redirect loop');
    expect(pages.get('/missing')).toMatchObject({ status: 'failed', reason: 'HTTP 404 (not found)', httpStatus: 404 });
    expect(pages.get('/big')).toMatchObject({ status: 'skipped', reason: 'larger than the 2 MB cap per page' });
    expect(pages.get('/to-private')?.status).toBe('failed');
    expect(pages.get('/to-private')?.reason).toContain('redirects to http://10.0.0.1/admin: that leaves the site (10.0.0.1)');
    expect(pages.get('/brochure.pdf')).toMatchObject({ status: 'skipped', reason: 'not a web page (.pdf file)' });
    expect(pages.get('https://external.example.org/review'.replace(site.origin, ''))?.reason).toContain('off-site link (external.example.org)');
    // The sitemap's tracking parameter is dropped: /services is one page, fetched once.
    expect(site.requests.filter((r) => r.path === '/services')).toHaveLength(1);
    // /old-hours redirects to /hours, which is on the list itself: not a second source.
    expect(pages.get('/old-hours')).toMatchObject({ status: 'skipped', reason: `redirects to ${site.origin}/hours, which is imported on its own` });
    // Nothing was ever requested from the excluded folder or the external host, and every request named us.
    expect(site.requests.some((r) => r.path.startsWith('/private/'))).toBe(false);
    expect(site.requests.every((r) => r.userAgent.includes('FusionChatalystBot/') && r.userAgent.includes('+https://acme-saas.example.com/crawler'))).toBe(true);
    expect(done.pages).toMatchObject({ fetched: 4, queued: 0 });
    expect(done.passages).toBeGreaterThanOrEqual(6);

    // The crawled pages answer, and the answer cites the page's address.
    const reply = await ask(bot.id, 'Is there a warranty on your repairs?');
    expect(reply.message.text).toContain('two-year');
    expect(reply.sources[0]?.url).toBe(`${site.origin}/faq`);
    // Hand-typed knowledge keeps answering without a url.
    await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge`, headers: account.headers, payload: { kind: 'faq', question: 'Do you sell gift cards?', answer: 'Yes, gift cards are sold at the front desk.' } });
    const typed = await ask(bot.id, 'Do you sell gift cards?');
    expect(typed.sources[0]).toBeDefined();
    expect(typed.sources[0]?.url).toBeUndefined();
  });

  it('lists sources; excluding one takes its passages out of answers at once, and delete removes it', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const crawl = (await startCrawl(bot.id, { url: `${site.origin}/faq`, maxDepth: 0 })).json<CrawlBody>();
    await worker.runOnce();
    expect((await getCrawl(bot.id, crawl.id)).status).toBe('done');
    const sources = (await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}/sources`, headers: account.headers })).json<{ items: { id: string; url: string; status: string; passages: number }[] }>().items;
    const faq = sources.find((source) => source.url === `${site.origin}/faq`);
    expect(faq).toMatchObject({ status: 'active', passages: 2 });
    const detail = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}/sources/${faq?.id}`, headers: account.headers });
    expect(detail.json<{ entries: { question: string }[] }>().entries.map((e) => e.question)).toContain('Which areas do you cover?');
    expect((await ask(bot.id, 'Which areas do you cover?')).message.text).toContain('Shelbyville');

    const excluded = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}/sources/${faq?.id}`, headers: account.headers, payload: { excluded: true } });
    expect(excluded.json()).toMatchObject({ status: 'excluded', passages: 0 });
    expect((await ask(bot.id, 'Which areas do you cover?')).message.text).not.toContain('Shelbyville');
    // A later import leaves an excluded page out.
    const again = (await startCrawl(bot.id, { url: `${site.origin}/faq`, maxDepth: 0 })).json<CrawlBody>();
    await worker.runOnce();
    expect((await getPages(bot.id, again.id))[0]).toMatchObject({ status: 'skipped', reason: 'excluded from the knowledge base by you' });

    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/portal/chatbots/${bot.id}/sources/${faq?.id}`, headers: account.headers })).statusCode).toBe(204);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}/sources/${faq?.id}`, headers: account.headers })).statusCode).toBe(404);
  });

  it('re-syncs only what changed: 304 by ETag, the same text by hash, a changed page replaced, a gone page removed', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    await startCrawl(bot.id, { url: `${site.origin}/` });
    await worker.runOnce();
    const original = site.routes.get('/services');
    site.routes.set('/services', htmlPage('Services – Acme Plumbing', '<main><h1>Services</h1><h2>Drain cleaning</h2><p>A drain visit now costs $149, camera inspection included.</p></main>'));
    site.routes.delete('/hours');
    try {
      const resync = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/sources/resync`, headers: account.headers });
      expect(resync.statusCode).toBe(202);
      await worker.runOnce();
      const pages = new Map((await getPages(bot.id, resync.json<CrawlBody>().id)).map((page) => [page.url.replace(site.origin, ''), page]));
      expect(pages.get('/faq')).toMatchObject({ status: 'unchanged', reason: 'not modified (304)' });
      expect(site.requests.filter((r) => r.path === '/faq').at(-1)?.ifNoneMatch).toBe('"faq-v1"');
      expect(pages.get('/')).toMatchObject({ status: 'unchanged', reason: 'same text as at the last sync' });
      expect(pages.get('/services')?.status).toBe('fetched');
      expect(pages.get('/hours')).toMatchObject({ status: 'failed', httpStatus: 404 });
      expect((await ask(bot.id, 'How much does a drain visit cost?')).message.text).toContain('$149');
      const sources = (await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}/sources?status=failed`, headers: account.headers })).json<{ items: { url: string; passages: number; lastError: string }[] }>().items;
      expect(sources).toEqual([expect.objectContaining({ url: `${site.origin}/hours`, passages: 0, lastError: 'HTTP 404 (not found) at the last re-sync' })]);
    } finally {
      if (original) site.routes.set('/services', original);
      site.routes.set('/hours', acmeWebsiteRoutes()['/hours'] as NonNullable<typeof original>);
    }
  });

  it('re-syncs on a daily or weekly schedule, once per due time, and not while an import runs', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const url = `/api/portal/chatbots/${bot.id}/sources/schedule`;
    expect((await ctx.app.inject({ method: 'GET', url, headers: account.headers })).json()).toEqual({ every: 'off', nextRunAt: null });
    await startCrawl(bot.id, { url: `${site.origin}/faq`, maxDepth: 0 });
    await worker.runOnce();
    const set = await ctx.app.inject({ method: 'PUT', url, headers: account.headers, payload: { every: 'daily' } });
    const tomorrow = Date.now() + 24 * 3600_000;
    expect(Math.abs(Date.parse(set.json<{ nextRunAt: string }>().nextRunAt) - tomorrow)).toBeLessThan(60_000);
    // Not due yet: nothing queued.
    expect(await queueDueResyncs(ctx.database.db)).toBe(0);
    // Due while an import of the chatbot runs: tried again an hour later instead.
    const running = (await startCrawl(bot.id, { url: `${site.origin}/faq`, maxDepth: 0 })).json<CrawlBody>();
    expect(await queueDueResyncs(ctx.database.db, new Date(tomorrow + 1_000).toISOString())).toBe(0);
    await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/crawls/${running.id}/cancel`, headers: account.headers });
    // An hour later: one re-sync is queued (asking again at the same moment queues no second one), and it runs.
    const later = new Date(tomorrow + 3600_000 + 2_000).toISOString();
    expect(await queueDueResyncs(ctx.database.db, later)).toBe(1);
    expect(await queueDueResyncs(ctx.database.db, later)).toBe(0);
    expect(await worker.runOnce()).toEqual(['finished']);
    const [latest] = (await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}/crawls?limit=1`, headers: account.headers })).json<{ items: (CrawlBody & { kind: string })[] }>().items;
    expect(latest).toMatchObject({ kind: 'resync', status: 'done', pages: { unchanged: 1 } });
    expect((await ctx.app.inject({ method: 'PUT', url, headers: account.headers, payload: { every: 'off' } })).json()).toEqual({ every: 'off', nextRunAt: null });
  });

  it('resumes a job whose worker died, from the pages it had not finished', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const crawl = (await startCrawl(bot.id, { url: `${site.origin}/faq`, maxDepth: 0 })).json<CrawlBody>();
    // A worker claims the job and dies at once: its lease runs out without a renewal.
    const past = new Date(Date.now() - 1_000).toISOString();
    const [claimed] = await claimCrawlJobs(ctx.database.db, { owner: 'crashed-worker', limit: 1, now: new Date().toISOString(), leaseUntil: past });
    expect(claimed?.id).toBe(crawl.id);
    // It had read the site and was fetching /hours, with /faq still queued, when it died.
    const now = new Date().toISOString();
    const page = { job_id: crawl.id, depth: 0, reason: null, http_status: null, title: null, passages: 0, source_id: null, updated_at: now };
    await ctx.database.db.insertInto('crawl_pages').values([{ ...page, url: `${site.origin}/hours`, seq: 1, status: 'fetching' }, { ...page, url: `${site.origin}/faq`, seq: 2, status: 'queued' }]).execute();
    await ctx.database.db.updateTable('crawl_jobs').set({ is_seeded: 1 }).where('id', '=', crawl.id).execute();
    const before = site.requests.length;
    expect(await worker.runOnce()).toEqual(['finished']);
    expect(site.requests.slice(before).map((r) => r.path).sort()).toEqual(['/faq', '/hours', '/robots.txt']);
    const done = await ctx.database.db.selectFrom('crawl_jobs').select(['status', 'runs', 'lease_owner']).where('id', '=', crawl.id).executeTakeFirstOrThrow();
    expect(done).toEqual({ status: 'done', runs: 2, lease_owner: null });
    expect((await getCrawl(bot.id, crawl.id)).pages).toMatchObject({ found: 2, fetched: 2 });
  });

  it('cancels a queued import; a running one stops at the next page', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const crawl = (await startCrawl(bot.id, { url: `${site.origin}/` })).json<CrawlBody>();
    const cancelled = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/crawls/${crawl.id}/cancel`, headers: account.headers });
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', stopReason: 'cancelled by you' });
    expect(await worker.runOnce()).toEqual([]);
    const again = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/crawls/${crawl.id}/cancel`, headers: account.headers });
    expect(again.statusCode).toBe(409);

    // Running: the cancel flag is seen at the next checkpoint, and pages not yet fetched are reported as such.
    const running = (await startCrawl(bot.id, { url: `${site.origin}/` })).json<CrawlBody>();
    const [job] = await claimCrawlJobs(ctx.database.db, { owner: 'crashed-worker', limit: 1, now: new Date().toISOString(), leaseUntil: new Date(Date.now() - 1).toISOString() });
    expect(job?.id).toBe(running.id);
    await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/crawls/${running.id}/cancel`, headers: account.headers });
    await worker.runOnce();
    expect(await getCrawl(bot.id, running.id)).toMatchObject({ status: 'cancelled', stopReason: 'cancelled by you' });
  });

  it('names every cap it refuses, and refuses private addresses unless the operator allows them', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const tooMany = await startCrawl(bot.id, { url: `${site.origin}/`, maxPages: 5_000 });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ detail: 'At most 1,000 pages per website import.', errors: [{ field: 'body.maxPages' }] });
    const notHttp = await startCrawl(bot.id, { url: 'ftp://example.com/' });
    expect(notHttp.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'body.url' }] });

    // A page cap stops the crawl with a sentence that names it.
    const capped = (await startCrawl(bot.id, { url: `${site.origin}/`, maxPages: 2 })).json<CrawlBody>();
    await worker.runOnce();
    const view = await getCrawl(bot.id, capped.id);
    expect(view.status).toBe('done');
    expect(view.pages.fetched).toBe(2);
    expect(view.stopReason).toBe('page limit reached: at most 2 pages per import (more links were found)');

    const strict = await createTestApp({ FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'false' });
    try {
      const owner = await signUpAccount(strict.app);
      const strictBot = await createChatbotFor(strict.app, owner);
      const refused = await strict.app.inject({ method: 'POST', url: `/api/portal/chatbots/${strictBot.id}/crawls`, headers: owner.headers, payload: { url: `${site.origin}/` } });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'body.url', message: 'points at a loopback address (127.0.0.1)' }] });
    } finally {
      await strict.close();
    }
  });

  it('keeps one customer out of another’s imports and sources', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const crawl = (await startCrawl(bot.id, { url: `${site.origin}/faq`, maxDepth: 0 })).json<CrawlBody>();
    await worker.runOnce();
    const intruder = await signUpAccount(ctx.app);
    for (const url of [`/api/portal/chatbots/${bot.id}/crawls/${crawl.id}`, `/api/portal/chatbots/${bot.id}/crawls/${crawl.id}/pages`, `/api/portal/chatbots/${bot.id}/sources`]) {
      expect((await ctx.app.inject({ method: 'GET', url, headers: intruder.headers })).statusCode, url).toBe(404);
    }
    expect((await startCrawl(bot.id, { url: `${site.origin}/` }, intruder)).statusCode).toBe(404);
  });
});
