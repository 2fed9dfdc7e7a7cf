import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../../server/src/test/harness.js';
import { buildWidgetForTests } from '../../server/src/test/widget-build.js';
import { createDeliveryWorker, type DeliveryWorker } from '../../server/src/worker.js';
import { browserUnavailableReason, buildPortal, launchBrowser, screenshotPath, startReceiver, type BrowserSession } from './browser.js';

/**
 * Issue 5's whole promise in one run, as a new customer lives it: sign up, create a chatbot, import knowledge,
 * add a webhook to a local receiver, paste the Install tab's snippet into a website (another origin), chat
 * there through the real widget, leave contact details, see the conversation, the lead and the delivery in
 * the portal, thumbs-down an answer in the widget, fix it in Training, and get the fix from the widget.
 * A delivery worker runs beside the API, as in production, so the webhook really goes out.
 */
const skipReason = browserUnavailableReason();
const JOURNEY_TIMEOUT_MS = 120_000;
const UI_TIMEOUT_MS = 15_000;
const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

const KNOWLEDGE_CSV = `question,answer
What are your opening hours?,"We are open Monday to Friday, 8am to 6pm."
How much is a service call?,A service call costs $79 and includes the first half hour of work.
Do you repair water heaters?,"Yes, we repair and install gas and electric water heaters."
`;
const FIX = 'Yes: on Saturdays we are open from 9am to 1pm for emergencies.';

/** The customer's website: a plain page on another origin with the Install tab's snippet pasted in. */
async function startHostSite(): Promise<{ origin: string; setSnippet(html: string): void; close(): Promise<void> }> {
  let snippet = '';
  const server: Server = createServer((request, response) => {
    if (request.url !== '/') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Acme Plumbing</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: Georgia, serif; padding: 40px"><h1>Acme Plumbing</h1><p>Family plumbers since 1987.</p>
${snippet}
</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // `localhost` rather than 127.0.0.1: a different origin from the API's, so CORS is real.
  return {
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    setSnippet: (html) => { snippet = html; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(skipReason !== null)('a new customer, from sign-up to a fixed answer in the widget', () => {
  let ctx: TestContext;
  let baseUrl: string;
  let worker: DeliveryWorker;
  let session: BrowserSession;
  let portal: Page;
  let site: Page;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let host: Awaited<ReturnType<typeof startHostSite>>;
  let chatbotId = '';
  const browserErrors: string[] = [];

  beforeAll(async () => {
    buildPortal();
    buildWidgetForTests();
    ctx = await createTestApp();
    baseUrl = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    worker = createDeliveryWorker({ db: ctx.database.db, config: ctx.config, log: quietLog, pollIntervalMs: 50, sweepIdleConversations: false });
    worker.start();
    receiver = await startReceiver();
    host = await startHostSite();
    session = await launchBrowser(baseUrl);
    portal = await session.context.newPage();
    site = await session.context.newPage();
    for (const page of [portal, site]) {
      page.on('console', (message) => { if (message.type() === 'error' && !/status of 40[14]/.test(message.text())) browserErrors.push(message.text()); });
      page.on('pageerror', (error) => browserErrors.push(error.message));
    }
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await worker?.stop(1_000);
    await host?.close();
    await receiver?.close();
    await ctx?.close();
  });

  async function sendInWidget(text: string): Promise<void> {
    const input = site.getByRole('textbox', { name: 'Your message' });
    await input.fill(text);
    await input.press('Enter');
  }

  function botRow(text: string | RegExp) {
    return site.locator('.row.b', { hasText: text });
  }

  it('gets a working bot on a website, a lead to a webhook, and a fixed answer', async () => {
    // 1. Sign up.
    const startedAt = performance.now();
    await portal.bringToFront();
    await portal.goto('/signup');
    await portal.getByLabel('Business name').fill('Acme Plumbing');
    await portal.getByLabel('Work email').fill(`journey-${Date.now()}@example.com`);
    await portal.getByLabel('Password').fill('correct horse battery');
    await portal.getByRole('button', { name: 'Create account' }).click();

    // 2. Create a chatbot.
    await portal.waitForURL(/\/chatbots\?welcome=1/);
    await portal.getByLabel('Name', { exact: true }).fill('Acme Helper');
    await portal.getByRole('button', { name: 'Create chatbot' }).click();
    await portal.waitForURL(/\/chatbots\/bot_[^/]+\/knowledge/);
    chatbotId = /\/chatbots\/(bot_[^/]+)\//.exec(portal.url())?.[1] ?? '';

    // 3. Import knowledge from a spreadsheet export, with the preview first.
    await portal.getByRole('tab', { name: 'Bulk import' }).click();
    await portal.locator('#import-file').setInputFiles({ name: 'faq.csv', mimeType: 'text/csv', buffer: Buffer.from(KNOWLEDGE_CSV) });
    await portal.getByText('3 rows, all fine').waitFor();
    await portal.screenshot({ path: screenshotPath('journey-01-import-preview'), fullPage: true });
    await portal.getByRole('button', { name: 'Import 3 rows' }).click();
    await portal.getByText('Imported 3 entries from faq.csv.').waitFor();
    await portal.locator('.entries').getByText('How much is a service call?').waitFor();

    // 4. A webhook to the customer's endpoint (leads and escalations are ticked by default).
    await portal.getByRole('link', { name: 'Webhooks' }).click();
    await portal.getByRole('link', { name: 'Add your first webhook' }).click();
    await portal.getByLabel('Endpoint URL').fill(receiver.url);
    await portal.getByRole('button', { name: 'Create webhook' }).click();
    await expect(portal.locator('.secret-once pre code').innerText()).resolves.toMatch(/^whsec_/);
    await portal.getByRole('link', { name: 'Continue: fields and test' }).click();
    const webhookUrl = portal.url();

    // 5. Install: paste the snippet into the website, exactly as shown.
    await portal.goto(`/chatbots/${chatbotId}/install`);
    const snippet = await portal.locator('.snippet code').innerText();
    expect(snippet).toContain(`data-chatbot-id="${chatbotId}"`);
    host.setSnippet(snippet);

    // 6. A visitor chats on the website through the real widget.
    // Both tabs share one window; the one in front is the one the "person" is using (a background tab's
    // timers and frames are throttled, which only slows the test down).
    await site.bringToFront();
    await site.goto(host.origin);
    await site.getByRole('button', { name: 'Open chat' }).click({ timeout: UI_TIMEOUT_MS });
    await sendInWidget('How much is a service call?');
    await botRow('$79').waitFor({ timeout: UI_TIMEOUT_MS });

    await sendInWidget("I'd like to book an appointment to fix a leaking pipe");
    const details = site.getByRole('form', { name: 'Your contact details' });
    await details.waitFor({ timeout: UI_TIMEOUT_MS });
    await details.getByLabel('Your name').fill('Jane Doe');
    await details.getByLabel('Email').fill('jane@example.com');
    // Every detail the bot asks for, so the capture flow ends with this message and lead.captured goes out now.
    await details.getByLabel('Phone').fill('(512) 555-0123');
    await site.screenshot({ path: screenshotPath('journey-02-widget-lead-form') });
    await details.getByRole('button', { name: 'Send details' }).click();
    await botRow(/Jane/).waitFor({ timeout: UI_TIMEOUT_MS });

    // The lead reaches the customer's endpoint through the delivery worker.
    await expect.poll(() => receiver.received.some((r) => r.headers['x-fc-event'] === 'lead.captured'), { timeout: UI_TIMEOUT_MS, interval: 50 }).toBe(true);
    const minutes = (performance.now() - startedAt) / 60_000;
    console.log(`journey: sign-up to first webhook received in ${(minutes * 60).toFixed(1)} s (${minutes.toFixed(2)} min) of browser time`);
    const lead = JSON.parse(receiver.received.find((r) => r.headers['x-fc-event'] === 'lead.captured')?.body ?? '{}') as Record<string, unknown>;
    expect(JSON.stringify(lead)).toContain('jane@example.com');

    // 7. An answer the visitor did not like, rated down in the widget.
    const answersBefore = await site.locator('.row.b').count();
    await sendInWidget('Do you work on weekends?');
    await expect.poll(() => site.locator('.row.b').count(), { timeout: UI_TIMEOUT_MS }).toBe(answersBefore + 1);
    await expect.poll(() => site.locator('.typing').count(), { timeout: UI_TIMEOUT_MS }).toBe(0);
    const weekend = site.locator('.row.b').nth(answersBefore);
    await weekend.getByRole('button', { name: 'Not helpful' }).click({ timeout: UI_TIMEOUT_MS });
    await weekend.getByLabel('What was wrong? (optional)').fill('I wanted to know about Saturdays');
    await weekend.getByRole('button', { name: 'Send feedback' }).click();
    await weekend.getByText('Thanks for the feedback!').waitFor({ timeout: UI_TIMEOUT_MS });
    await site.screenshot({ path: screenshotPath('journey-03-widget-rated') });

    // 8. The owner sees the conversation, the lead and the delivery.
    await portal.bringToFront();
    await portal.getByRole('link', { name: 'Conversations' }).click();
    await portal.locator('tbody tr').first().getByRole('link').first().click();
    await portal.getByRole('heading', { name: 'Lead' }).waitFor();
    const transcript = portal.locator('.transcript');
    await transcript.locator('.bubble', { hasText: 'How much is a service call?' }).first().waitFor();
    await expect(transcript.innerText()).resolves.toContain('Do you work on weekends?');
    await expect(portal.locator('main').innerText()).resolves.toContain('jane@example.com');
    await portal.screenshot({ path: screenshotPath('journey-04-conversation'), fullPage: true });

    await portal.getByRole('link', { name: 'Leads' }).click();
    const leadRow = portal.locator('tbody tr').filter({ hasText: 'jane@example.com' });
    await leadRow.waitFor();
    await expect(leadRow.innerText()).resolves.toContain('Jane Doe');

    await portal.goto(webhookUrl);
    const delivery = portal.locator('tbody tr').filter({ hasText: 'lead.captured' }).first();
    await delivery.waitFor();
    await expect(delivery.locator('.badge').innerText()).resolves.toBe('Delivered');
    await delivery.getByRole('button', { name: 'Details' }).click();
    const attempt = portal.locator('.delivery-detail table.attempts tbody tr').first();
    await attempt.waitFor();
    const attemptText = await attempt.innerText();
    expect(attemptText).toMatch(/^1\s/);
    expect(attemptText).toContain('200');
    await portal.locator('section.card').filter({ has: portal.getByRole('heading', { name: 'Delivery log' }) }).screenshot({ path: screenshotPath('journey-05-delivery-log') });

    // 9. Training: the thumbs-down is waiting with the visitor's comment; save a better answer.
    await portal.getByRole('link', { name: 'Training' }).click();
    const review = portal.locator('.review').filter({ hasText: 'Do you work on weekends?' });
    await review.waitFor();
    await expect(review.innerText()).resolves.toContain('I wanted to know about Saturdays');
    await review.getByLabel('A better answer').fill(FIX);
    await review.getByRole('button', { name: 'Save the better answer' }).click();
    await review.getByRole('button', { name: 'Re-check' }).click();
    await expect(review.locator('.test-answer').innerText()).resolves.toContain('Saturdays we are open from 9am to 1pm');
    await portal.screenshot({ path: screenshotPath('journey-06-training-fixed'), fullPage: true });

    // 10. The visitor asks again on the website and gets the fix.
    await site.bringToFront();
    await sendInWidget('Do you work on weekends?');
    await botRow('Saturdays we are open from 9am to 1pm').waitFor({ timeout: UI_TIMEOUT_MS });
    await site.screenshot({ path: screenshotPath('journey-07-widget-fixed') });
  }, JOURNEY_TIMEOUT_MS);

  it('saves business hours in the chatbot settings and shows them again after a reload', async () => {
    await portal.bringToFront();
    await portal.goto(`/chatbots/${chatbotId}/settings`);
    await portal.getByLabel('Only promise a person during these hours').check();
    await portal.getByLabel('Time zone').selectOption('America/Chicago');
    await portal.getByLabel('Friday closes').fill('15:00');
    await portal.getByLabel('Saturday closed').uncheck();
    await portal.getByLabel('Saturday opens').fill('10:00');
    await portal.getByLabel('Saturday closes').fill('00:00');
    await portal.getByRole('button', { name: 'Save settings' }).click();
    await portal.getByText('Saved.', { exact: true }).waitFor();

    const row = await ctx.database.db.selectFrom('chatbots').select('settings').where('id', '=', chatbotId).executeTakeFirstOrThrow();
    expect((JSON.parse(row.settings) as { businessHours: unknown }).businessHours).toEqual({
      enabled: true, timezone: 'America/Chicago',
      weekly: [
        { day: 'mon', open: '09:00', close: '17:00' }, { day: 'tue', open: '09:00', close: '17:00' }, { day: 'wed', open: '09:00', close: '17:00' },
        { day: 'thu', open: '09:00', close: '17:00' }, { day: 'fri', open: '09:00', close: '15:00' }, { day: 'sat', open: '10:00', close: '24:00' },
      ],
    });

    await portal.reload();
    await expect(portal.getByLabel('Time zone').inputValue()).resolves.toBe('America/Chicago');
    await expect(portal.getByLabel('Friday closes').inputValue()).resolves.toBe('15:00');
    await expect(portal.getByLabel('Saturday closes').inputValue()).resolves.toBe('00:00');
    await expect(portal.getByLabel('Sunday closed').isChecked()).resolves.toBe(true);
    const axe = await new AxeBuilder({ page: portal }).include('.settings-form').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    const hoursSection = portal.locator('section.card').filter({ has: portal.getByRole('heading', { name: 'Business hours' }) });
    await hoursSection.screenshot({ path: screenshotPath('journey-08-business-hours') });
    await portal.setViewportSize({ width: 390, height: 844 });
    await hoursSection.screenshot({ path: screenshotPath('journey-09-business-hours-phone') });
    await portal.setViewportSize({ width: 1280, height: 860 });
  });

  it('raised no script or Content-Security-Policy errors in the portal or on the website', () => {
    expect(browserErrors).toEqual([]);
  });
});
