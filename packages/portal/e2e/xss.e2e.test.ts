import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../server/src/test/harness.js';
import { browserUnavailableReason, buildPortal, launchBrowser, screenshotPath, type BrowserSession } from './browser.js';

/**
 * Stored XSS: a visitor types markup into the widget; the business owner opens the transcript, the leads
 * table and the dashboard. The markup must show as text and never run.
 */
const skipReason = browserUnavailableReason();
const ATTACK = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> Jane <b>Bold</b>';

describe.skipIf(skipReason !== null)('stored XSS in the portal', () => {
  let ctx: TestContext;
  let baseUrl: string;
  let session: BrowserSession;
  let account: TestAccount;
  let conversationId: string;

  beforeAll(async () => {
    buildPortal();
    ctx = await createTestApp();
    baseUrl = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    account = await signUpAccount(ctx.app);
    const chatbotId = (await createChatbotFor(ctx.app, account, { name: 'XSS bot' })).id;
    const chat = (payload: Record<string, unknown>) => ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: 'attacker', ...payload } });
    const first = (await chat({ message: ATTACK })).json<{ conversationId: string; conversationToken: string }>();
    conversationId = first.conversationId;
    await chat({ conversationId, conversationToken: first.conversationToken, message: 'I want a quote, my email is jane@example.com' });
    session = await launchBrowser(baseUrl);
    const [name, value] = account.cookie.split('=') as [string, string];
    await session.context.addCookies([{ name, value, url: baseUrl }]);
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await ctx?.close();
  });

  it('shows a visitor\'s markup as text in the transcript and runs none of it', async () => {
    const page = await session.context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`/conversations/${conversationId}`);
    await expect.poll(() => page.getByText('onerror=', { exact: false }).count()).toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath('xss-transcript') });
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('main img[src="x"], main b:text("Bold")').count()).toBe(0);
    await page.goto('/conversations');
    await page.goto('/');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
