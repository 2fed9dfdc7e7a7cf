import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import type { Db } from '../../db/database.js';
import type { App } from '../../http/types.js';
import { startAppProcess, type AppProcess } from '../../test/app-process.js';
import { createTestConfig, openTestDatabase } from '../../test/harness.js';
import { buildWidgetForTests } from '../../test/widget-build.js';

/**
 * Human handoff end to end in Chromium: the visitor's widget on a host page (another site) and the agent's
 * portal inbox, two pages at once. The agent claims, replies, the visitor sees it live, answers, the bot
 * stays silent, the agent resolves. Once with one API process, and once with two (visitor on one, agent on
 * the other) sharing the database and Redis — the agent's reply and the visitor's message cross processes
 * through the live bus.
 */
const CHROMIUM_PATH = process.env.FC_CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM_PATH) || process.env.FC_REQUIRE_BROWSER === '1';
const REDIS_URL = process.env.TEST_REDIS_URL ?? '';
const ARTIFACTS_DIR = fileURLToPath(new URL('../../../../../test-artifacts/handoff/', import.meta.url));
const PORTAL_DIR = fileURLToPath(new URL('../../../../portal/', import.meta.url));
const HOST_NAME = 'shop.test';
const UI_TIMEOUT_MS = 15_000;

interface Deployment {
  /** Where the widget script and the visitor's API calls go. */
  visitorApi: string;
  /** Where the agent's portal runs. */
  agentApi: string;
  database: Db;
  close(): Promise<void>;
}

interface Account {
  cookie: { name: string; value: string };
  email: string;
  chatbotId: string;
}

function buildPortal(): void {
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: PORTAL_DIR, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
}

async function signUpWithBot(base: string, hostOrigin: string): Promise<Account> {
  const email = `agent-${randomBytes(4).toString('hex')}@acme.test`;
  const signup = await fetch(`${base}/api/portal/signup`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse battery', company: 'Acme Plumbing', name: 'Marisol Reyes' }),
  });
  expect(signup.status).toBe(201);
  const setCookie = signup.headers.get('set-cookie') ?? '';
  const [name, value] = (setCookie.split(';')[0] ?? '').split('=') as [string, string];
  const { csrfToken } = (await signup.json()) as { csrfToken: string };
  const headers = { 'content-type': 'application/json', cookie: `${name}=${value}`, 'x-csrf-token': csrfToken };
  const bot = await fetch(`${base}/api/portal/chatbots`, {
    method: 'POST', headers,
    body: JSON.stringify({ name: 'Acme Bot', settings: { allowedOrigins: [hostOrigin], greeting: 'Hi! Ask me anything about Acme Plumbing.', appearance: { title: 'Acme Plumbing', color: '#0f766e', position: 'bottom-right', avatarUrl: null } } }),
  });
  expect(bot.status).toBe(201);
  const chatbotId = ((await bot.json()) as { id: string }).id;
  await fetch(`${base}/api/portal/chatbots/${chatbotId}/knowledge/import`, {
    method: 'POST', headers, body: JSON.stringify({ faqs: [{ question: 'What are your opening hours?', answer: 'We are open Monday through Friday, 8am to 6pm.' }] }),
  });
  return { cookie: { name, value }, email, chatbotId };
}

async function startSingleProcess(): Promise<Deployment> {
  const opened = await openTestDatabase();
  const config = createTestConfig({ DATABASE_URL: opened.databaseUrl, FC_DATA_DIR: opened.dataDir });
  const app: App = await buildApp({ config, database: opened.database });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    visitorApi: base, agentApi: base, database: opened.database,
    close: async () => {
      await app.close();
      await opened.dispose();
    },
  };
}

async function startTwoProcesses(): Promise<Deployment> {
  const opened = await openTestDatabase();
  const env = {
    DATABASE_URL: opened.databaseUrl, FC_DATA_DIR: opened.dataDir, REDIS_URL, FC_SECRET_KEY: randomBytes(32).toString('hex'),
    FC_SCRYPT_LOG_N: '10', FC_DELIVERY_WORKER: 'off', FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
  };
  const processes: AppProcess[] = [];
  try {
    processes.push(await startAppProcess('api', env));
    processes.push(await startAppProcess('api', env));
  } catch (error) {
    await Promise.all(processes.map((p) => p.kill()));
    throw error;
  }
  const [visitorSide, agentSide] = processes as [AppProcess, AppProcess];
  return {
    visitorApi: visitorSide.baseUrl, agentApi: agentSide.baseUrl, database: opened.database,
    close: async () => {
      await Promise.all(processes.map((p) => p.kill('SIGTERM')));
      await opened.dispose();
    },
  };
}

const VARIANTS: { name: string; start: () => Promise<Deployment>; skip: boolean }[] = [
  { name: 'one API process', start: startSingleProcess, skip: false },
  { name: 'two API processes sharing the database and Redis', start: startTwoProcesses, skip: REDIS_URL === '' },
];

describe.skipIf(!HAS_CHROMIUM)('human handoff in Chromium: widget and inbox', () => {
  let browser: Browser;
  let hostServer: Server;
  let hostPort: number;
  let widgetBase = '';

  beforeAll(async () => {
    buildWidgetForTests();
    buildPortal();
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    hostServer = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://host');
      if (url.pathname !== '/page') {
        response.writeHead(url.pathname === '/favicon.ico' ? 204 : 404).end();
        return;
      }
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': `default-src 'none'; script-src ${widgetBase}; connect-src ${widgetBase}; style-src 'unsafe-inline'`,
      }).end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Plumbing</title></head>
<body style="font: 16px/1.5 Georgia, serif; padding: 40px"><h1>Acme Plumbing</h1><p>Leaks, drains and water heaters since 1998.</p>
<script src="${widgetBase}/widget.js" data-chatbot-id="${url.searchParams.get('bot') ?? ''}" async></script></body></html>`);
    });
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
    hostPort = (hostServer.address() as AddressInfo).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--host-resolver-rules=MAP ${HOST_NAME} 127.0.0.1`,
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => hostServer?.close(resolve));
  });

  async function openPage(context: BrowserContext, url: string, problems: string[]): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(url);
    return page;
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`) });
  }

  for (const variant of VARIANTS) {
    it.skipIf(variant.skip)(`agent claims, replies and resolves while the visitor chats (${variant.name})`, async () => {
      const deployment = await variant.start();
      const problems: string[] = [];
      const contexts: BrowserContext[] = [];
      const slug = variant.name.startsWith('one') ? 'one-process' : 'two-processes';
      try {
        widgetBase = deployment.visitorApi;
        const hostOrigin = `http://${HOST_NAME}:${hostPort}`;
        const account = await signUpWithBot(deployment.agentApi, hostOrigin);

        // The agent opens the inbox first (portal on the agent's process): it is empty and live.
        const agentContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        contexts.push(agentContext);
        const agentUrl = new URL(deployment.agentApi);
        await agentContext.addCookies([{ name: account.cookie.name, value: account.cookie.value, domain: agentUrl.hostname, path: '/' }]);
        const agent = await openPage(agentContext, `${deployment.agentApi}/inbox`, problems);
        await agent.getByText('Live: new escalations and messages appear here').waitFor({ timeout: UI_TIMEOUT_MS });

        // The visitor chats on the customer's site (widget served by the visitor's process) and asks for a person.
        const visitorContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        contexts.push(visitorContext);
        const visitor = await openPage(visitorContext, `${hostOrigin}/page?bot=${account.chatbotId}`, problems);
        await visitor.getByRole('button', { name: 'Open chat' }).click({ timeout: UI_TIMEOUT_MS });
        const input = visitor.getByRole('textbox', { name: 'Your message' });
        const send = async (text: string) => {
          await input.fill(text);
          await input.press('Enter');
        };
        await send('Hi, I am Jane Doe, my email is jane@example.com');
        await visitor.locator('.row.b', { hasText: 'Thanks Jane' }).waitFor({ timeout: UI_TIMEOUT_MS });
        await send('Can I talk to a person please?');
        await visitor.locator('.note', { hasText: 'A member of the team has been notified' }).waitFor({ timeout: UI_TIMEOUT_MS });
        const botRowsAtEscalation = await visitor.locator('.row.b').count();

        // Without a reload, the escalation appears in the agent's inbox, unread.
        const entry = agent.locator('.inbox-item', { hasText: 'Jane Doe' });
        await entry.waitFor({ timeout: UI_TIMEOUT_MS });
        await entry.getByText('Waiting for a person').waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await entry.locator('.unread').textContent()).toBe('1');
        await shot(agent, `${slug}-inbox-new-escalation`);
        await entry.click();
        await agent.getByRole('button', { name: 'Claim', exact: true }).click();
        await agent.getByText('handled by').waitFor({ timeout: UI_TIMEOUT_MS });
        await visitor.locator('.note.sys', { hasText: 'Marisol Reyes joined the conversation.' }).waitFor({ timeout: UI_TIMEOUT_MS });

        // The agent replies; the visitor sees it live, with the agent's name.
        await agent.getByLabel('Reply to Jane Doe').fill('Hi Jane, Marisol here. What can I do for you?');
        await agent.getByRole('button', { name: 'Send' }).click();
        const agentRow = visitor.locator('.row.a', { hasText: 'Marisol here' });
        await agentRow.waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await agentRow.locator('.who').textContent()).toBe('Marisol Reyes');
        await visitor.getByText('Marisol Reyes from the team is here').waitFor({ timeout: UI_TIMEOUT_MS });

        // The visitor answers a question the bot knows: the bot stays silent, the agent sees the message live.
        await send('What are your opening hours? Also my sink is leaking.');
        await agent.locator('.msg-visitor', { hasText: 'my sink is leaking' }).waitFor({ timeout: UI_TIMEOUT_MS });
        await visitor.waitForTimeout(500);
        expect(await visitor.locator('.row.b').count()).toBe(botRowsAtEscalation);
        expect(await visitor.locator('.row.b', { hasText: 'Monday through Friday' }).count()).toBe(0);
        await shot(visitor, `${slug}-visitor-with-agent`);
        await shot(agent, `${slug}-agent-conversation`);

        await agent.getByLabel('Reply to Jane Doe').fill('We can send a plumber at 9 tomorrow.');
        await agent.getByRole('button', { name: 'Send' }).click();
        await visitor.locator('.row.a', { hasText: 'plumber at 9 tomorrow' }).waitFor({ timeout: UI_TIMEOUT_MS });

        // Resolve: escalation.resolved is in the outbox, the visitor sees it, and the inbox shows it resolved.
        await agent.getByRole('button', { name: 'Resolve', exact: true }).click();
        await visitor.locator('.note.sys', { hasText: 'marked the conversation as resolved' }).waitFor({ timeout: UI_TIMEOUT_MS });
        await agent.locator('.inbox-item', { hasText: 'Jane Doe' }).getByText('Resolved').waitFor({ timeout: UI_TIMEOUT_MS });
        await shot(agent, `${slug}-agent-resolved`);
        const conversation = await deployment.database.db.selectFrom('conversations').select(['id', 'handoff_state']).where('chatbot_id', '=', account.chatbotId).executeTakeFirstOrThrow();
        expect(conversation.handoff_state).toBe('resolved');
        const resolved = await deployment.database.db.selectFrom('events').select('type').where('conversation_id', '=', conversation.id).where('type', '=', 'escalation.resolved').execute();
        expect(resolved).toHaveLength(1);
        const roles = await deployment.database.db.selectFrom('messages').select(['role', 'author_name']).where('conversation_id', '=', conversation.id).orderBy('seq').execute();
        expect(roles.filter((m) => m.role === 'agent')).toEqual([{ role: 'agent', author_name: 'Marisol Reyes' }, { role: 'agent', author_name: 'Marisol Reyes' }]);

        expect(problems).toEqual([]);
      } finally {
        for (const context of contexts) await context.close();
        await deployment.close();
      }
    }, 120_000);
  }
});
