import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Browser-test plumbing: Debian's Chromium driven by playwright-core, the built portal, screenshots in
 * test-artifacts/ (git-ignored), and a local webhook receiver.
 */

export const CHROMIUM_PATH = process.env.FC_CHROMIUM_PATH ?? '/usr/bin/chromium';
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-artifacts', 'portal');
const PORTAL_DIR = fileURLToPath(new URL('../', import.meta.url));

/** Why browser tests cannot run here, or null when they can. FC_REQUIRE_BROWSER=1 turns a skip into a failure. */
export function browserUnavailableReason(): string | null {
  if (existsSync(CHROMIUM_PATH)) return null;
  const reason = `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium); portal browser tests skipped`;
  if (process.env.FC_REQUIRE_BROWSER === '1') throw new Error(reason);
  console.warn(reason);
  return reason;
}

/**
 * Makes sure the portal is built. The suite's global setup (test/global-setup.ts) builds it once per run,
 * before any file starts; building again here while another file's browser loads pages would empty dist/
 * under it. Only a missing build (a file run outside the suite's setup) is built here.
 */
export function buildPortal(): void {
  if (existsSync(path.join(PORTAL_DIR, 'dist', 'index.html'))) return;
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: PORTAL_DIR, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
  if (!existsSync(path.join(PORTAL_DIR, 'dist', 'index.html'))) throw new Error('portal build produced no dist/index.html');
}

export interface BrowserSession {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh headless Chromium with a throwaway profile (its own user-data-dir). */
export async function launchBrowser(baseURL: string): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'fc-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    baseURL,
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(15_000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, `${name}.png`);
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP endpoint that records every request and answers 200. */
export async function startReceiver(): Promise<{ url: string; received: ReceivedRequest[]; close(): Promise<void> }> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/fusionchatalyst`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The page's width against the viewport's, and the innermost elements that stick out past its right edge
 * (tag, class, width), so a failing "no sideways scrolling" check says what to fix.
 */
export async function measureOverflow(page: Page): Promise<{ scrollWidth: number; viewportWidth: number; culprits: string[] }> {
  return page.evaluate(() => {
    const viewportWidth = document.documentElement.clientWidth;
    // Content inside a box that scrolls or clips sideways (a wide table in .table-wrap) does not widen the page.
    // (An absolutely positioned element escapes a scroller that is not its containing block: not clipped then.)
    const isClipped = (element: HTMLElement): boolean => {
      if (['absolute', 'fixed'].includes(getComputedStyle(element).position)) return false;
      for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
        if (getComputedStyle(parent).overflowX !== 'visible' && parent.getBoundingClientRect().right <= viewportWidth + 1) return true;
      }
      return false;
    };
    const wide = Array.from(document.querySelectorAll<HTMLElement>('body *')).filter((element) => element.getBoundingClientRect().right > viewportWidth + 1 && !isClipped(element));
    // Only the innermost: an element none of whose descendants also sticks out (ancestors are wide because of it).
    const innermost = wide.filter((element) => !wide.some((other) => other !== element && element.contains(other)));
    const culprits = innermost.slice(0, 8).map((element) => `${element.tagName.toLowerCase()}.${Array.from(element.classList).join('.')} ${Math.round(element.getBoundingClientRect().width)}px`);
    // Text that does not wrap sticks out of a box that does not: report the text's element.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node && culprits.length < 12; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || isClipped(parent)) continue;
      range.selectNodeContents(node);
      if (range.getBoundingClientRect().right > viewportWidth + 1) culprits.push(`text in ${parent.tagName.toLowerCase()}.${Array.from(parent.classList).join('.')}: "${(node.textContent ?? '').slice(0, 40)}"`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, viewportWidth, culprits };
  });
}
