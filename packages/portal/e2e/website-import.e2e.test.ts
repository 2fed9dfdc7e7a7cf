import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrawlWorker, type CrawlWorker } from '../../server/src/modules/crawl/crawl.worker.js';
import { createTestApp, type TestContext } from '../../server/src/test/harness.js';
import { acmeWebsiteRoutes, startLocalWebsite, type LocalWebsite } from '../../server/src/bench/local-website.js';
import { buildWidgetForTests } from '../../server/src/test/widget-build.js';
import { browserUnavailableReason, buildPortal, launchBrowser, screenshotPath, type BrowserSession } from './browser.js';

/**
 * Issue 14's minute, in a browser: sign up, import the business's website (a local one) from Knowledge →
 * From website, watch the progress reach done, then ask the widget something only a crawled page answers
 * and see the link to that page under the answer. A crawl worker runs beside the API, as in production.
 */
const skipReason = browserUnavailableReason();
const UI_TIMEOUT_MS = 20_000;
const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe.skipIf(skipReason !== null)('importing a website from the portal', () => {
  let ctx: TestContext;
  let worker: CrawlWorker;
  let website: LocalWebsite;
  let session: BrowserSession;
  let portal: Page;
  let visitor: Page;
  let snippet = '';
  const browserErrors: string[] = [];

  beforeAll(async () => {
    buildPortal();
    buildWidgetForTests();
    // Loopback allowed: the customer's website is on 127.0.0.1 in this test.
    ctx = await createTestApp({ FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' });
    const baseUrl = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    worker = createCrawlWorker({ db: ctx.database.db, config: ctx.config, log: quietLog, pollIntervalMs: 100 });
    worker.start();
    website = await startLocalWebsite({
      ...acmeWebsiteRoutes(),
      // Where the business pasted the widget (not linked from the site, so the crawl does not read it).
      '/chat-here': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Plumbing</title></head><body style="font-family: Georgia, serif; padding: 40px"><h1>Acme Plumbing</h1>${snippet}</body></html>`);
      },
    });
    session = await launchBrowser(baseUrl);
    portal = await session.context.newPage();
    visitor = await session.context.newPage();
    for (const page of [portal, visitor]) {
      page.on('console', (message) => { if (message.type() === 'error' && !/status of 40[14]/.test(message.text())) browserErrors.push(message.text()); });
      page.on('pageerror', (error) => browserErrors.push(error.message));
    }
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await worker?.stop();
    await website?.close();
    await ctx?.close();
  });

  it('imports the site with live progress, and the widget links the page an answer came from', async () => {
    await portal.bringToFront();
    await portal.goto('/signup');
    await portal.getByLabel('Business name').fill('Acme Plumbing');
    await portal.getByLabel('Work email').fill(`crawl-${Date.now()}@example.com`);
    await portal.getByLabel('Password').fill('correct horse battery');
    await portal.getByRole('button', { name: 'Create account' }).click();
    await portal.waitForURL(/\/chatbots\?welcome=1/);
    await portal.getByLabel('Name', { exact: true }).fill('Acme Helper');
    await portal.getByRole('button', { name: 'Create chatbot' }).click();
    await portal.waitForURL(/\/chatbots\/bot_[^/]+\/knowledge/);
    const chatbotId = /\/chatbots\/(bot_[^/]+)\//.exec(portal.url())?.[1] ?? '';

    await portal.getByRole('tab', { name: 'Website' }).click();
    await portal.getByLabel('Website address').fill(`${website.origin}/`);
    await portal.getByRole('button', { name: 'Import website' }).click();
    const progress = portal.locator('.crawl-progress');
    await progress.waitFor();
    await portal.locator('.crawl-progress[data-status="done"]').waitFor({ timeout: UI_TIMEOUT_MS });
    await expect(progress.locator('[data-count="fetched"]').innerText()).resolves.toBe('4 imported');
    await progress.getByText('Every page').click();
    await progress.getByText('disallowed by robots.txt').waitFor();
    await progress.getByText('larger than the 2 MB cap per page').waitFor();
    await portal.locator('.sources .source').first().waitFor();
    await expect(portal.locator('.sources').innerText()).resolves.toContain(`${website.origin}/faq`);
    await portal.screenshot({ path: screenshotPath('website-import-01-done'), fullPage: true });

    // A PDF price list uploaded beside it becomes a source too.
    await portal.getByRole('tab', { name: 'Files' }).click();
    await portal.locator('#upload-file').setInputFiles({ name: 'price-list.pdf', mimeType: 'application/pdf', buffer: readFileSync(new URL('../../server/src/modules/knowledge/fixtures/price-list.pdf', import.meta.url)) });
    await portal.getByText('Added price list: 2 passages.').waitFor({ timeout: UI_TIMEOUT_MS });
    await portal.locator('.sources .source', { hasText: 'uploaded file' }).waitFor();
    await portal.screenshot({ path: screenshotPath('website-import-03-file'), fullPage: false });

    await portal.goto(`/chatbots/${chatbotId}/install`);
    snippet = await portal.locator('.snippet code').innerText();

    // A visitor on the business's site asks what only the crawled FAQ page says.
    await visitor.bringToFront();
    await visitor.goto(`${website.origin.replace('127.0.0.1', 'localhost')}/chat-here`);
    await visitor.getByRole('button', { name: 'Open chat' }).click({ timeout: UI_TIMEOUT_MS });
    const input = visitor.getByRole('textbox', { name: 'Your message' });
    await input.fill('Is there a warranty on your repairs?');
    await input.press('Enter');
    const answer = visitor.locator('.row.b', { hasText: 'two-year' });
    await answer.waitFor({ timeout: UI_TIMEOUT_MS });
    const link = answer.locator('.src a');
    await expect(link.getAttribute('href')).resolves.toBe(`${website.origin}/faq`);
    await expect(link.innerText()).resolves.toBe('Do you offer a warranty on repairs? – 127.0.0.1');
    await expect(link.getAttribute('rel')).resolves.toBe('noopener noreferrer');
    await visitor.screenshot({ path: screenshotPath('website-import-02-widget-source') });
    expect(browserErrors).toEqual([]);
  }, 120_000);
});
