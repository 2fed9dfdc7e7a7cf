import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../server/src/test/harness.js';
import { browserUnavailableReason, buildPortal, launchBrowser, measureOverflow, screenshotPath, type BrowserSession } from './browser.js';

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
  // The customer's website: a local server whose home page gets the snippet the Install tab shows.
  let siteSnippet = '';
  let siteServer: Server;
  let siteOrigin = '';

  beforeAll(async () => {
    buildPortal();
    ctx = await createTestApp({ FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' });
    baseUrl = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    account = await signUpAccount(ctx.app, { company: 'Crumb & Co Bakery' });
    chatbotId = (await createChatbotFor(ctx.app, account, { name: 'Crumb Bot' })).id;
    siteServer = createServer((request, response) => {
      const body = request.url === '/' ? `<html><body><h1>Crumb &amp; Co</h1>${siteSnippet}</body></html>` : '<html><body>About us</body></html>';
      response.writeHead(200, { 'content-type': 'text/html' }).end(body);
    });
    await new Promise<void>((resolve) => siteServer.listen(0, '127.0.0.1', resolve));
    siteOrigin = `http://127.0.0.1:${(siteServer.address() as AddressInfo).port}`;
    session = await launchBrowser(baseUrl);
    await session.context.addCookies([{ name: 'fc_session', value: account.cookie.replace(/^fc_session=/, ''), url: baseUrl }]);
    page = await session.context.newPage();
    // The one refused check below answers 400 on purpose; the browser logs every failed request.
    page.on('console', (message) => { if (message.type() === 'error' && !/status of 400/.test(message.text())) browserErrors.push(message.text()); });
    page.on('pageerror', (error) => browserErrors.push(error.message));
    // Everything the reference needs is bundled: nothing may be fetched from anywhere but this server.
    page.on('request', (request) => { if (!request.url().startsWith(baseUrl) && !request.url().startsWith('data:')) outsideRequests.push(request.url()); });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await ctx?.close();
    await new Promise<void>((resolve) => (siteServer ? siteServer.close(() => resolve()) : resolve()));
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
    // Swagger UI fills the operation's body after it opens: wait for the example itself, not only the box.
    await chat.locator('.opblock-body').getByText('Do you deliver wedding cakes on Sundays?').first().waitFor();
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

  it('shows a guide per site builder with the customer’s own snippet, and checks the site for it', async () => {
    await page.goto(`/chatbots/${chatbotId}/install`);
    const snippet = await page.locator('.snippet code').innerText();
    expect(snippet).toBe(`<script src="${baseUrl}/widget.js" data-chatbot-id="${chatbotId}" async></script>`);

    const guides = page.getByRole('group', { name: 'Site builder' });
    for (const name of ['Plain HTML', 'WordPress', 'Shopify', 'Wix', 'Squarespace', 'Google Tag Manager']) await guides.getByRole('button', { name }).waitFor();
    await guides.getByRole('button', { name: 'Shopify' }).click();
    const guide = page.locator('.install-guide');
    await expect(guide.getAttribute('data-platform')).resolves.toBe('shopify');
    await expect(guide.innerText()).resolves.toContain('theme.liquid');
    await expect(guide.locator('.guide-snippet code').innerText()).resolves.toBe(snippet);
    await guides.getByRole('button', { name: 'Google Tag Manager' }).click();
    await expect(guide.innerText()).resolves.toContain('Custom HTML');
    await expect(guide.locator('.guide-snippet code').innerText()).resolves.toBe(snippet);

    // Not installed yet: the check says so.
    await page.getByLabel('Page address').fill(`${siteOrigin}/`);
    await page.getByRole('button', { name: 'Check my site' }).click();
    await page.getByText('The snippet is not on this page yet.').waitFor();

    // Pasted as shown: found.
    siteSnippet = snippet;
    await page.getByRole('button', { name: 'Check my site' }).click();
    await page.getByText('The chat is installed.').waitFor();
    await expect(page.locator('.notice-success').innerText()).resolves.toContain(`${siteOrigin}/`);
    await page.screenshot({ path: screenshotPath('issue15-11-install-guides-check'), fullPage: true });

    // A typo the server refuses is shown on the field.
    await page.getByLabel('Page address').fill('ftp://shop');
    await page.getByRole('button', { name: 'Check my site' }).click();
    await page.locator('#site-check-url-error').waitFor();

    // On a phone the tab is one column: nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator('.install-guide').waitFor();
    const overflow = await measureOverflow(page);
    expect(overflow.culprits).toEqual([]);
    expect(overflow.scrollWidth).toBeLessThanOrEqual(overflow.viewportWidth);
    await page.screenshot({ path: screenshotPath('issue15-11-install-phone'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
  }, FLOW_TIMEOUT_MS);

  it('raised no script or Content-Security-Policy errors in the browser', () => {
    expect(browserErrors).toEqual([]);
  });
});
