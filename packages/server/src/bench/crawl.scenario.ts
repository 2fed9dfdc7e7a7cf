import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { DEV_DATASET_FILE, readEvalDataset } from './eval-fixtures.js';
import { htmlPage, startLocalWebsite, textFile, type RouteHandler } from './local-website.js';
import { quantile, sendChatMessage, signUpPortalClient } from './portal-client.js';
import { measure, type BenchContext, type BenchOutcome, type BenchScenario } from './scenario.js';
import { startServerProcess } from './server-process.js';

/**
 * Website import speed and its cost to everyone else. A 500-page site on 127.0.0.1 (a sitemap listing every
 * page, each page linking ten others, ~3 KB of text under headings) is imported through the portal API by
 * the crawl worker of a server in its own process; the baseline is a bare undici loop fetching the same pages
 * with the same two connections in the same run (so the ratio is what robots.txt, the URL guard, extraction
 * and saving cost per page). Meanwhile another chatbot on the same server is asked questions one after another:
 * its chat p50/p99 during the crawl are reported against the same loop with the server idle.
 */

const PAGES = 500;
const BENCH_RATE_LIMIT = { perVisitorPerMinute: 1_000, perIpPerMinute: 10_000 };
const IDLE_CHAT_TURNS = 150;
const CRAWL_POLL_MS = 200;
const WORDS = 'drain boiler leak valve radiator heater pipe tap shower toilet pump filter boiler service repair install emergency quote warranty'.split(' ');

function pageText(n: number, section: number): string {
  return Array.from({ length: 70 }, (_, i) => WORDS[(n * 7 + section * 3 + i) % WORDS.length]).join(' ');
}

function benchSiteRoutes(): Record<string, RouteHandler> {
  const routes: Record<string, RouteHandler> = {
    '/robots.txt': textFile('text/plain', (site) => `User-agent: *\nAllow: /\nSitemap: ${site.origin}/sitemap.xml\n`),
    '/sitemap.xml': textFile('application/xml', (site) => `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${
      Array.from({ length: PAGES - 1 }, (_, i) => `<url><loc>${site.origin}/p/${i + 1}</loc></url>`).join('\n')}\n</urlset>`),
  };
  const links = (n: number): string => Array.from({ length: 10 }, (_, i) => `<a href="/p/${((n + i * 37) % (PAGES - 1)) + 1}">page ${i}</a>`).join(' ');
  routes['/'] = htmlPage('Bench Plumbing', `<nav>${links(0)}</nav><main><h1>Bench Plumbing</h1><p>${pageText(0, 0)}</p></main>`);
  for (let n = 1; n < PAGES; n += 1) {
    routes[`/p/${n}`] = htmlPage(`Service ${n} – Bench Plumbing`, `<nav>${links(n)}</nav><main><h1>Service ${n}</h1>${
      [1, 2, 3].map((s) => `<h2>Part ${s} of service ${n}</h2><p>${pageText(n, s)}.</p><p>${pageText(n + 1, s)}.</p>`).join('')}</main><footer>© Bench</footer>`);
  }
  return routes;
}

/** The floor: the same pages fetched by undici alone, two at a time, bodies read and dropped. */
async function fetchWithBareUndici(origin: string): Promise<number> {
  const agent = new Agent({ connections: 2 });
  const paths = ['/', ...Array.from({ length: PAGES - 1 }, (_, i) => `/p/${i + 1}`)];
  const startedAt = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next] as string;
      next += 1;
      const response = await agent.request({ origin, path, method: 'GET' });
      await response.body.text();
    }
  };
  await Promise.all([lane(), lane()]);
  const seconds = (performance.now() - startedAt) / 1000;
  await agent.close();
  return paths.length / seconds;
}

async function measureCrawl(context: BenchContext): Promise<BenchOutcome> {
  const site = await startLocalWebsite(benchSiteRoutes());
  const dataset = readEvalDataset(DEV_DATASET_FILE);
  const questions = dataset.cases.flatMap((c) => (c.type === 'answer' ? [c.message] : []));
  context.log('crawl: starting the server (crawl worker inline)');
  const server = await startServerProcess({ env: { LOG_LEVEL: 'error', FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' }, crawlWorker: true });
  try {
    const owner = await signUpPortalClient(server.baseUrl, 'Bench Plumbing');
    const { id: crawledBot } = await owner.createChatbot({ name: 'Crawled', settings: { rateLimit: BENCH_RATE_LIMIT } });
    const other = await signUpPortalClient(server.baseUrl, dataset.business.name);
    const { id: chatBot } = await other.createChatbot({ name: dataset.business.name, settings: { rateLimit: BENCH_RATE_LIMIT } });
    await other.importKnowledge(chatBot, {
      faqs: dataset.knowledge.faqs.map(({ question, answer }) => ({ question, answer })),
      documents: dataset.knowledge.documents.map(({ title, text }) => ({ title, text })),
    });
    let turn = 0;
    const ask = async (): Promise<number> => {
      turn += 1;
      const { latencyMs } = await sendChatMessage(server.baseUrl, { chatbotId: chatBot, visitorId: `bench-${turn}`, message: questions[turn % questions.length] as string });
      return latencyMs;
    };
    await ask();

    context.log('crawl: bare undici baseline');
    const barePagesPerSecond = await fetchWithBareUndici(site.origin);
    context.log('crawl: chat latency with the server idle');
    const idle: number[] = [];
    for (let i = 0; i < IDLE_CHAT_TURNS; i += 1) idle.push(await ask());

    context.log(`crawl: importing ${PAGES} pages while the other chatbot chats`);
    const during: number[] = [];
    let crawlDone = false;
    const chatting = (async () => {
      while (!crawlDone) during.push(await ask());
    })();
    const startedAt = performance.now();
    const crawl = await owner.importWebsite(crawledBot, { url: `${site.origin}/`, maxPages: 1_000 }, CRAWL_POLL_MS);
    const seconds = (performance.now() - startedAt) / 1000;
    crawlDone = true;
    await chatting;
    if (crawl.status !== 'done') return { status: 'skipped', reason: `the import ended ${crawl.status}: ${crawl.error ?? crawl.stopReason ?? ''}` };
    const pagesPerSecond = crawl.pages.fetched / seconds;
    const ms = (values: number[]) => `p50 ${quantile(values, 0.5).toFixed(1)} ms, p99 ${quantile(values, 0.99).toFixed(1)} ms (${values.length} turns)`;
    return {
      status: 'measured',
      measurements: [
        measure('website import, pages/s (sqlite)', pagesPerSecond, 'pages/s', { label: 'bare undici loop, 2 connections', value: barePagesPerSecond },
          `${crawl.pages.fetched} pages, ${crawl.passages} passages in ${seconds.toFixed(1)} s (polled every ${CRAWL_POLL_MS} ms)`),
        measure('other chatbot chat p50 during the import', quantile(during, 0.5), 'ms', { label: 'same chat loop, server idle', value: quantile(idle, 0.5) }, `during: ${ms(during)}; idle: ${ms(idle)}`),
        measure('other chatbot chat p99 during the import', quantile(during, 0.99), 'ms', { label: 'same chat loop, server idle', value: quantile(idle, 0.99) }),
      ],
      notes: [
        'The crawler holds two connections per site and saves each page in its own transaction (so a crash loses at most the pages in flight); the baseline only reads bytes.',
        'Chat latency is the other tenant\'s, one turn at a time, on the same server process as the crawl worker (FC_DELIVERY_WORKER=inline).',
      ],
    };
  } finally {
    await server.stop();
    await site.close();
  }
}

export const crawlScenario: BenchScenario = {
  name: 'crawl',
  summary: `website import of a ${PAGES}-page local site: pages/s vs a bare undici loop, and another chatbot's chat latency meanwhile`,
  isDefault: false,
  run: measureCrawl,
};
